/**
 * Tests that need something optional (a backend that may fail to start here, the shared model
 * files) skip without it on a developer's machine, saying why, and fail on CI, where everything
 * is installed: a skip there would let a regression through unseen.
 */
import { beforeAll, describe, it, type TestContext } from 'vitest';
import type { TestBackend } from './helpers.js';

/** `CI` set to anything but empty, `0` or `false`, as CI services and scripts/test-all.sh do. */
export const IN_CI = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());

/** A backend started for one `describe` block. */
export interface StartedBackend {
  /** Whether `init()` succeeded. */
  readonly ready: boolean;
  /** Skips the running test when the backend did not start (only possible outside CI). */
  skipIfDown(ctx: TestContext): void;
}

/**
 * Starts `backend` in a `beforeAll` of the enclosing `describe`. A failure fails the block on
 * cpu and on CI; elsewhere it is a warning and the block's tests skip through `skipIfDown`.
 */
export function startBackend(backend: TestBackend, timeoutMs = 60_000): StartedBackend {
  const state = {
    ready: false,
    skipIfDown(ctx: TestContext) {
      if (!state.ready) ctx.skip();
    },
  };
  beforeAll(async () => {
    try {
      await backend.init();
      state.ready = true;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (backend.name === 'cpu' || IN_CI) {
        throw new Error(
          `backend ${backend.name} failed to start${IN_CI ? ' (CI: every backend must start)' : ''}: ${why}`,
          { cause: e },
        );
      }
      console.warn(`skipping ${backend.name}: init failed (${why}); on CI this fails`);
    }
  }, timeoutMs);
  return state;
}

/**
 * `describe` when `present`; otherwise a skipped block with a warning naming `what` is missing,
 * or, on CI, a block whose one test fails saying so.
 */
export function describeIfPresent(
  present: boolean,
  what: string,
): (name: string, fn: () => void) => void {
  return (name, fn) => {
    if (present) {
      describe(name, fn);
    } else if (IN_CI) {
      describe(name, () => {
        it(`needs ${what}`, () => {
          throw new Error(`missing on CI: ${what}`);
        });
      });
    } else {
      console.warn(`skipping "${name}": missing ${what}; on CI this fails`);
      describe.skip(name, fn);
    }
  };
}
