/**
 * Activation derivatives for the backward kernels: `g[i] *= act'(z[i])` over a slice, where `z`
 * holds the pre-activations and `a` the activated values (tanh and sigmoid read their derivative
 * from `a`, the others from `z`). One tight loop per activation, as in `./activations.ts`.
 * At a kink the derivative of the branch taken for `z` exactly at it is used (tfjs's choice).
 */
import { scalarActivation, type KernelActivation } from '@rnnkit/core';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const LEAKY_SLOPE = 0.2;
const INV_SQRT_2PI = 0.3989422804014327;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

const gelu = scalarActivation('gelu');

/** The standard normal CDF Φ(x) as `gelu(x) / x` (gelu = x·Φ(x)), its series near 0. */
function normalCdf(x: number): number {
  return Math.abs(x) < 1e-4 ? 0.5 + INV_SQRT_2PI * x : gelu(x) / x;
}

/** Scalar derivatives of the activations without a dedicated loop below, from `z`. */
const SCALAR_DERIVATIVE: Partial<Record<KernelActivation, (z: number) => number>> = {
  relu6: (z) => (z > 0 && z < 6 ? 1 : 0),
  elu: (z) => (z > 0 ? 1 : Math.exp(z)),
  selu: (z) => (z > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(z)),
  softplus: sigmoid,
  softsign: (z) => 1 / ((1 + Math.abs(z)) * (1 + Math.abs(z))),
  exponential: Math.exp,
  swish: (z) => {
    const s = sigmoid(z);
    return s + z * s * (1 - s);
  },
  hard_swish: (z) => (z < -3 ? 0 : z > 3 ? 1 : (2 * z + 3) / 6),
  gelu: (z) => normalCdf(z) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z),
  leaky_relu: (z) => (z > 0 ? 1 : LEAKY_SLOPE),
  mish: (z) => {
    const t = Math.tanh(softplus(z));
    return t + z * (1 - t * t) * sigmoid(z);
  },
  log_sigmoid: (z) => sigmoid(-z),
};

/** True for the activations whose derivative {@link scaleByDerivative} reads from `a` alone. */
export function derivativeFromOutput(name: KernelActivation): boolean {
  return name === 'tanh' || name === 'sigmoid' || name === 'linear';
}

/**
 * Multiplies `g[gOff .. gOff + len)` by the derivative of `name` at `z[off + i]` (whose
 * activated value is `a[off + i]`).
 */
export function scaleByDerivative(
  name: KernelActivation,
  z: Float32Array,
  a: Float32Array,
  off: number,
  g: Float32Array,
  gOff: number,
  len: number,
): void {
  switch (name) {
    case 'linear':
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) {
        const v = a[off + i];
        g[gOff + i] *= 1 - v * v;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) {
        const v = a[off + i];
        g[gOff + i] *= v * (1 - v);
      }
      return;
    case 'hard_sigmoid':
      for (let i = 0; i < len; i++) {
        const v = z[off + i];
        g[gOff + i] *= v > -3 && v < 3 ? 1 / 6 : 0;
      }
      return;
    case 'hard_sigmoid_keras2':
      for (let i = 0; i < len; i++) {
        const v = z[off + i];
        g[gOff + i] *= v > -2.5 && v < 2.5 ? 0.2 : 0;
      }
      return;
    case 'relu':
      for (let i = 0; i < len; i++) if (!(z[off + i] > 0)) g[gOff + i] = 0;
      return;
    default: {
      const fn = SCALAR_DERIVATIVE[name];
      if (fn == null) throw new Error(`scaleByDerivative: no derivative for '${name}'`);
      for (let i = 0; i < len; i++) g[gOff + i] *= fn(z[off + i]);
    }
  }
}
