/**
 * WGSL derivatives of the kernel activations, for the backward kernels: `fn dact_<name>(z)`
 * returns `act'(z)` from the pre-activation `z`. At a kink the derivative of the branch taken
 * for `z` exactly at it is used, as the cpu backend and tfjs do. They call the helpers and
 * activation functions of `./wgsl_activations.ts`, emitted beside them.
 */
import type { KernelActivation } from '@rnnkit/core';
import { activationsWgsl } from './wgsl_activations.js';

/** The body of `fn dact_<name>(x: f32) -> f32`, returning the derivative at `x`. */
const BODIES: Record<KernelActivation, string> = {
  linear: 'return 1.0;',
  tanh: 'let t = rk_tanh(x); return 1.0 - t * t;',
  sigmoid: 'let s = rk_sigmoid(x); return s * (1.0 - s);',
  hard_sigmoid: 'return select(0.0, 1.0 / 6.0, x > -3.0 && x < 3.0);',
  hard_sigmoid_keras2: 'return select(0.0, 0.2, x > -2.5 && x < 2.5);',
  relu: 'return select(0.0, 1.0, x > 0.0);',
  relu6: 'return select(0.0, 1.0, x > 0.0 && x < 6.0);',
  elu: 'return select(exp(min(x, 0.0)), 1.0, x > 0.0);',
  selu: 'return 1.0507009873554805 * select(1.6732632423543772 * exp(min(x, 0.0)), 1.0, x > 0.0);',
  softplus: 'return rk_sigmoid(x);',
  softsign: 'let d = 1.0 + abs(x); return 1.0 / (d * d);',
  exponential: 'return exp(x);',
  swish: 'let s = rk_sigmoid(x); return s + x * s * (1.0 - s);',
  hard_swish: 'return select(select((2.0 * x + 3.0) / 6.0, 1.0, x > 3.0), 0.0, x < -3.0);',
  // Φ(x) + x·φ(x), with Φ(x) = (1 + erf(x/√2)) / 2.
  gelu:
    'return 0.5 * (1.0 + rk_erf(x * 0.7071067811865476)) + ' +
    'x * 0.3989422804014327 * exp(-0.5 * x * x);',
  leaky_relu: 'return select(0.2, 1.0, x > 0.0);',
  mish: 'let t = rk_tanh(rk_softplus(x)); return t + x * (1.0 - t * t) * rk_sigmoid(x);',
  log_sigmoid: 'return rk_sigmoid(-x);',
};

/** The WGSL function name of the derivative of `name`. */
export function derivativeFn(name: KernelActivation): string {
  return `dact_${name}`;
}

/**
 * WGSL declaring the activation helpers, one activation function and one derivative function
 * per distinct name in `names`.
 */
export function activationsAndDerivativesWgsl(names: readonly KernelActivation[]): string {
  const distinct = [...new Set(names)];
  const fns = distinct.map((n) => `fn ${derivativeFn(n)}(x: f32) -> f32 { ${BODIES[n]} }`);
  return `${activationsWgsl(distinct)}${fns.join('\n')}\n`;
}
