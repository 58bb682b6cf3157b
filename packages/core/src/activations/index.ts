/**
 * Activations by Keras name: tensor versions (for the reference kernels and cells) and scalar
 * versions (for JS kernels). Keras names resolve to kernel activation names, which differ only
 * for `hard_sigmoid`: its definition changed between Keras 2 and Keras 3.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KERNEL_ACTIVATIONS, type KernelActivation } from '../kernels/contract.js';
import { invalidArgument } from '../errors.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const LEAKY_SLOPE = 0.2;

/** Keras names (and aliases) accepted for `activation` / `recurrent_activation`. */
const KERAS_ALIASES: Record<string, KernelActivation> = {
  linear: 'linear',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  hard_sigmoid: 'hard_sigmoid',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  softsign: 'softsign',
  exponential: 'exponential',
  swish: 'swish',
  silu: 'swish',
  hard_silu: 'hard_swish',
  hard_swish: 'hard_swish',
  gelu: 'gelu',
  leaky_relu: 'leaky_relu',
  mish: 'mish',
  log_sigmoid: 'log_sigmoid',
};

/** Keras activation names rnnkit accepts. */
export const KERAS_ACTIVATION_NAMES = Object.keys(KERAS_ALIASES);

/** True when a Keras version string denotes Keras 2 or older (e.g. `2.15.0`, `2.2.4`). */
export function isKeras2(kerasVersion: string | undefined): boolean {
  if (kerasVersion == null) return false;
  const major = Number.parseInt(kerasVersion, 10);
  return Number.isFinite(major) && major < 3;
}

/**
 * Resolves a Keras activation name (or `null`, meaning linear) to the kernel activation,
 * choosing the `hard_sigmoid` definition by the Keras version that wrote the config.
 */
export function resolveActivation(
  argument: string,
  name: string | null | undefined,
  kerasVersion?: string,
): KernelActivation {
  if (name == null) return 'linear';
  const key = typeof name === 'string' ? name.toLowerCase() : name;
  const resolved = typeof key === 'string' ? KERAS_ALIASES[key] : undefined;
  if (resolved == null) {
    invalidArgument(argument, `one of ${KERAS_ACTIVATION_NAMES.join(', ')}`, name);
  }
  return resolved === 'hard_sigmoid' && isKeras2(kerasVersion) ? 'hard_sigmoid_keras2' : resolved;
}

/** Applies a kernel activation to a tensor with tfjs-core ops (differentiable). */
export function applyActivation(name: KernelActivation, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'linear':
      return x;
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hard_sigmoid':
      return tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1);
    case 'hard_sigmoid_keras2':
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'exponential':
      return tf.exp(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'hard_swish':
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    case 'leaky_relu':
      return tf.leakyRelu(x, LEAKY_SLOPE);
    case 'mish':
      return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'log_sigmoid':
      return tf.logSigmoid(x);
  }
}

/** Error function (Abramowitz–Stegun 7.1.26 refined; |error| < 1.2e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t *
            (1.00002368 +
              t *
                (0.37409196 +
                  t *
                    (0.09678418 +
                      t *
                        (-0.18628806 +
                          t *
                            (0.27886807 +
                              t *
                                (-1.13520398 +
                                  t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

const SCALAR: Record<KernelActivation, (x: number) => number> = {
  linear: (x) => x,
  tanh: Math.tanh,
  sigmoid,
  hard_sigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
  hard_sigmoid_keras2: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  swish: (x) => x * sigmoid(x),
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  leaky_relu: (x) => (x > 0 ? x : LEAKY_SLOPE * x),
  mish: (x) => x * Math.tanh(softplus(x)),
  log_sigmoid: (x) => -softplus(-x),
};

/** The scalar form of a kernel activation, for kernels written in plain JS. */
export function scalarActivation(name: KernelActivation): (x: number) => number {
  const fn = SCALAR[name];
  if (fn == null) invalidArgument('activation', `one of ${KERNEL_ACTIVATIONS.join(', ')}`, name);
  return fn;
}

/** The Keras name under which a kernel activation is serialized. */
export function kerasActivationName(name: KernelActivation): string {
  return name === 'hard_sigmoid_keras2'
    ? 'hard_sigmoid'
    : name === 'hard_swish'
      ? 'hard_silu'
      : name;
}
