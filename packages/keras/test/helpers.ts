/** Test helpers: fixture locations, backends present in the workspace, tolerance checks. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (packages/keras/test → ../../..). */
export const REPO_ROOT = resolve(here, '..', '..', '..');
/** Real Keras files kept outside the repository (`<repo>/../shared/keras-models`). */
export const SHARED_MODELS = resolve(REPO_ROOT, '..', 'shared', 'keras-models');
/** This package's own fixtures. */
export const FIXTURES = join(here, 'fixtures');

/** One shared fixture: its directory, model file and expected outputs. */
export interface SharedFixture {
  id: string;
  modelPath: string;
  expected: {
    keras_version: string;
    input_shape: number[];
    input_dtype: string;
    input: unknown;
    outputs: Record<string, unknown>;
    output_layer: string;
    output_shapes: Record<string, number[]>;
  };
}

/** The fixtures in ../shared/keras-models (empty when that directory is absent). */
export function sharedFixtures(): SharedFixture[] {
  if (!existsSync(SHARED_MODELS)) return [];
  return readdirSync(SHARED_MODELS)
    .filter((d) => existsSync(join(SHARED_MODELS, d, 'expected.json')))
    .sort()
    .map((id) => {
      const expected = JSON.parse(
        readFileSync(join(SHARED_MODELS, id, 'expected.json'), 'utf8'),
      ) as SharedFixture['expected'] & {
        model_file: string;
      };
      return { id, modelPath: join(SHARED_MODELS, id, expected.model_file), expected };
    });
}

/** Flattens nested arrays of numbers. */
export function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}

/** Shape of a rectangular nested array. */
export function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/**
 * Largest `|got − want| / max(1, |want|)`; the tests require it below 1e-4, i.e.
 * `|got − want| ≤ 1e-4·max(1, |want|)` everywhere.
 */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length)
    throw new Error(`length ${got.length} vs expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** A backend present in the workspace: its name and how to start it. */
export interface TestBackend {
  name: string;
  init: () => Promise<void>;
}

/**
 * Backends to test on: cpu always; wasm and webgpu when their packages are built in this
 * workspace (they are optional for @rnnkit/keras).
 */
export function workspaceBackends(): TestBackend[] {
  const list: TestBackend[] = [
    {
      name: 'cpu',
      init: async () => {
        const mod = (await import('@rnnkit/backend-cpu')) as { init: () => Promise<void> };
        await mod.init();
      },
    },
  ];
  for (const name of ['wasm', 'webgpu']) {
    // Under Node, WebGPU runs on Dawn through the package's node entry.
    const entry = join(
      REPO_ROOT,
      'packages',
      `backend-${name}`,
      'dist',
      name === 'webgpu' ? 'node.js' : 'index.js',
    );
    if (!existsSync(entry)) continue;
    list.push({
      name,
      init: async () => {
        const mod = (await import(pathToFileURL(entry).href)) as { init: () => Promise<void> };
        await mod.init();
      },
    });
  }
  return list;
}

/** Downloads a tensor as plain numbers. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
