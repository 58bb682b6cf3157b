// `@rnnkit/core/training` under plain Node ESM (a child process, not vitest's transform): it
// registers tfjs-core's and rnnkit's gradients, and none twice when tfjs-layers already did.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./training/entry.mjs', import.meta.url));
const run = (...args: string[]) => {
  const out = execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
};

describe('@rnnkit/core/training in Node ESM', () => {
  it('makes tf.grads work through a layer on tfjs-core alone', () => {
    expect(run()).toEqual({
      gradientsBefore: false,
      dxShape: [1, 3, 2],
      dxFinite: true,
      dxNonZero: true,
      overrideWarnings: [],
    });
  });

  it('registers nothing twice after tfjs-layers (tfjs DEBUG on: an override would warn)', () => {
    expect(run('with-layers')).toMatchObject({ gradientsBefore: true, overrideWarnings: [] });
  });
});
