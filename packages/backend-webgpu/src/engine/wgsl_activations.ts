/**
 * WGSL for every kernel activation. Written to stay finite where the textbook formula
 * overflows in f32 (`exp` of a large argument is undefined in WGSL), so each uses `exp` only of
 * non-positive arguments except `exponential` itself.
 */
import type { KernelActivation } from '@rnnkit/core';

/** Helpers some activations share; emitted once per shader. */
const HELPERS = /* wgsl */ `
fn rk_sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn rk_tanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn rk_softplus(x: f32) -> f32 {
  return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}
fn rk_relu6(x: f32) -> f32 {
  return clamp(x, 0.0, 6.0);
}
// erf via the Chebyshev fit of erfc from Numerical Recipes (|error| < 1.2e-7).
fn rk_erf(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277))))))));
  let y = 1.0 - t * exp(poly);
  return select(-y, y, x >= 0.0);
}
`;

/** The body of `fn act_<name>(x: f32) -> f32`, returning the activation of `x`. */
const BODIES: Record<KernelActivation, string> = {
  linear: 'return x;',
  tanh: 'return rk_tanh(x);',
  sigmoid: 'return rk_sigmoid(x);',
  hard_sigmoid: 'return clamp(x / 6.0 + 0.5, 0.0, 1.0);',
  hard_sigmoid_keras2: 'return clamp(0.2 * x + 0.5, 0.0, 1.0);',
  relu: 'return max(x, 0.0);',
  relu6: 'return rk_relu6(x);',
  elu: 'return select(exp(min(x, 0.0)) - 1.0, x, x > 0.0);',
  selu: 'return 1.0507009873554805 * select(1.6732632423543772 * (exp(min(x, 0.0)) - 1.0), x, x > 0.0);',
  softplus: 'return rk_softplus(x);',
  softsign: 'return x / (1.0 + abs(x));',
  exponential: 'return exp(x);',
  swish: 'return x * rk_sigmoid(x);',
  hard_swish: 'return x * rk_relu6(x + 3.0) / 6.0;',
  gelu: 'return 0.5 * x * (1.0 + rk_erf(x * 0.7071067811865476));',
  leaky_relu: 'return select(0.2 * x, x, x > 0.0);',
  mish: 'return x * rk_tanh(rk_softplus(x));',
  log_sigmoid: 'return -rk_softplus(-x);',
};

/** The WGSL function name for `name`. */
export function activationFn(name: KernelActivation): string {
  return `act_${name}`;
}

/** WGSL declaring the helpers and one function per distinct name in `names`. */
export function activationsWgsl(names: readonly KernelActivation[]): string {
  const distinct = [...new Set(names)];
  const fns = distinct.map((n) => `fn ${activationFn(n)}(x: f32) -> f32 { ${BODIES[n]} }`);
  return `${HELPERS}\n${fns.join('\n')}\n`;
}
