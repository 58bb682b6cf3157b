/**
 * Weight regularizers of a layer config, as Keras adds them to the training loss: `L1`
 * (`l1 · Σ|w|`), `L2` (`l2 · Σw²`) and `L1L2`, keyed `<weight>_regularizer` (`kernel`,
 * `recurrent` for `recurrent_kernel`, `bias`, `embeddings`, `gamma`, `beta`, …). Anything else
 * that changes the loss or the update (activity regularizers, other regularizer classes,
 * constraints) is refused by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail } from '../errors.js';

/** The L1 and L2 factors of one weight's regularizer. */
export interface Penalty {
  l1: number;
  l2: number;
}

function factor(config: Record<string, unknown>, key: string, where: string): number {
  const v = config[key] ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(`${where}: '${key}' must be a number >= 0, got ${describe(v)}`);
  return v;
}

/** Reads one regularizer value (`{class_name, config}`, or a Keras 2 name such as `'l2'`). */
function penaltyOf(value: unknown, where: string): Penalty {
  const json = typeof value === 'string' ? { class_name: value, config: {} } : value;
  const cls = (json as { class_name?: unknown })?.class_name;
  const config = ((json as { config?: unknown })?.config ?? {}) as Record<string, unknown>;
  // Keras's defaults when a regularizer is named without arguments.
  switch (typeof cls === 'string' ? cls.toLowerCase() : cls) {
    case 'l1':
      return { l1: factor({ l1: 0.01, ...config }, 'l1', where), l2: 0 };
    case 'l2':
      return { l1: 0, l2: factor({ l2: 0.01, ...config }, 'l2', where) };
    case 'l1l2':
    case 'l1_l2':
      return { l1: factor(config, 'l1', where), l2: factor(config, 'l2', where) };
    default:
      return fail(
        `${where} = ${describe(value)} is not supported in training; expected L1, L2 or L1L2 (or the layer frozen)`,
      );
  }
}

/** Config key of a weight's regularizer: `recurrent_kernel` → `recurrent_regularizer`. */
function regularizerKey(weightName: string): string {
  return `${weightName.replace(/_kernel$/, '')}_regularizer`;
}

/**
 * The penalty of each weight of a layer (null where none), from the config that declares them:
 * `configs[i]` holds weight `names[i]`'s options (a wrapper passes its wrapped layers'). Throws,
 * naming the layer and option, for activity regularizers, constraints and regularizer options
 * that match no weight.
 */
export function weightPenalties(
  label: string,
  names: readonly string[],
  configs: readonly Record<string, unknown>[],
): (Penalty | null)[] {
  const used = new Set<string>();
  const penalties = names.map((name, i) => {
    const key = regularizerKey(name);
    const config = configs[i];
    used.add(`${configs.indexOf(config)}:${key}`);
    const value = config[key];
    return value == null ? null : penaltyOf(value, `fit: ${label}: option '${key}'`);
  });
  new Set(configs).forEach((config) => {
    for (const [key, value] of Object.entries(config)) {
      if (value == null) continue;
      if (key.endsWith('_constraint'))
        fail(
          `fit: ${label}: option '${key}' is set; constraints are not supported in training (expected null, or the layer frozen)`,
        );
      if (key === 'activity_regularizer')
        fail(
          `fit: ${label}: option 'activity_regularizer' is set; activity regularizers are not supported in training (expected null, or the layer frozen)`,
        );
      if (key.endsWith('_regularizer') && !used.has(`${configs.indexOf(config)}:${key}`))
        fail(
          `fit: ${label}: option '${key}' regularizes no weight of the layer (weights: ${names.join(', ')}); expected null`,
        );
    }
  });
  return penalties;
}

/** `Σ l1·Σ|w| + l2·Σw²` over the weights with a penalty; null when none has one. */
export function penaltyLoss(
  terms: readonly { weight: tf.Tensor; penalty: Penalty }[],
): tf.Scalar | null {
  if (terms.length === 0) return null;
  const parts = terms.flatMap(({ weight, penalty }) => [
    ...(penalty.l1 > 0 ? [tf.mul(penalty.l1, tf.sum(tf.abs(weight)))] : []),
    ...(penalty.l2 > 0 ? [tf.mul(penalty.l2, tf.sum(tf.square(weight)))] : []),
  ]);
  // Pairwise adds, not addN: tfjs's WebGPU AddN returns wrong sums for more than 8 inputs.
  return parts.length === 0 ? null : (parts.reduce((a, b) => tf.add(a, b)) as tf.Scalar);
}
