/** Test helpers: fixture locations, the backends to test on, tensor values. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS, useBackend } from '@rnnkit/backends';
import type * as tf from '@tensorflow/tfjs-core';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (packages/keras/test → ../../..). */
export const REPO_ROOT = resolve(here, '..', '..', '..');
/** Real Keras files kept outside the repository (`<repo>/../shared/keras-models`). */
export const SHARED_MODELS = resolve(REPO_ROOT, '..', 'shared', 'keras-models');
/** Real Keras models people published, kept outside the repository (`<repo>/../shared/wild-models`). */
export const WILD_MODELS = resolve(REPO_ROOT, '..', 'shared', 'wild-models');
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

/** One wild model: its directory, model file and expected outputs (one input or several). */
export interface WildFixture {
  id: string;
  modelPath: string;
  expected: {
    keras_version: string;
    model_file: string;
    /** Single-input models. */
    input?: unknown;
    input_shape?: number[];
    input_dtype?: string;
    /** Multi-input models: values, shapes and dtypes by input name, in `input_names` order. */
    inputs?: Record<string, unknown>;
    input_names?: string[];
    input_shapes?: Record<string, number[]>;
    input_dtypes?: Record<string, string>;
    /** By output key: a layer name, or `name:i` for output i of that layer. */
    outputs: Record<string, unknown>;
    output_names?: string[];
  };
}

/** The models in ../shared/wild-models (empty when that directory is absent). */
export function wildFixtures(): WildFixture[] {
  if (!existsSync(WILD_MODELS)) return [];
  return readdirSync(WILD_MODELS)
    .filter((d) => existsSync(join(WILD_MODELS, d, 'expected.json')))
    .sort()
    .map((id) => {
      const expected = JSON.parse(
        readFileSync(join(WILD_MODELS, id, 'expected.json'), 'utf8'),
      ) as WildFixture['expected'];
      return { id, modelPath: join(WILD_MODELS, id, expected.model_file), expected };
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

/** A backend to test on: its name and how to start it. */
export interface TestBackend {
  name: string;
  init: () => Promise<void>;
}

/** Every rnnkit backend, cpu first, started through @rnnkit/backends as the CLI does. */
export function workspaceBackends(): TestBackend[] {
  return BACKENDS.map((name) => ({
    name,
    init: async () => {
      await useBackend(name);
    },
  }));
}

/** Downloads a tensor as plain numbers. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
