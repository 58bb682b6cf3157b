/**
 * Keras activations in float64, from their definitions (Keras 3; `hard_sigmoid_keras2` is the
 * Keras ≤ 2.15 one), each written in its numerically stable form.
 */

/**
 * erf to ~1e-15 absolute: its Maclaurin series up to 3, where the terms still sum without
 * cancellation, and the continued fraction of erfc beyond.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax <= 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
    let f = ax;
    for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** `log(1 + eˣ)` without overflow for large x. */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Every activation a kernel implements, by its contract name, in the contract's order. */
export const NAIVE_ACTIVATIONS: Readonly<Record<string, (x: number) => number>> = {
  linear: (x) => x,
  tanh: Math.tanh,
  sigmoid,
  hard_sigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
  hard_sigmoid_keras2: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  swish: (x) => x * sigmoid(x),
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  mish: (x) => x * Math.tanh(softplus(x)),
  log_sigmoid: (x) => -softplus(-x),
};

/** The activation `name`; throws naming it when there is none. */
export function naiveActivation(name: string): (x: number) => number {
  const f = Object.hasOwn(NAIVE_ACTIVATIONS, name) ? NAIVE_ACTIVATIONS[name] : undefined;
  if (f == null) {
    throw new Error(
      `activation: expected one of ${Object.keys(NAIVE_ACTIVATIONS).join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  return f;
}
