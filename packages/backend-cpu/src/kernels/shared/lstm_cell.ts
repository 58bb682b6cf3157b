/**
 * The LSTM cell on one row of units, as the backward kernels of LSTM and ConvLSTM need it (a
 * ConvLSTM row is one position of one batch row): the forward step that keeps its activations,
 * and the backward step that turns the state gradients after it into the gate gradients and
 * the state gradients before it.
 *
 * Layouts: gate pre-activations `z` and the kept `pre`, `gates` and gate gradients `dz` hold the
 * row's four blocks `i, f, c, o` of `u` values from their offsets; the states `h`, `c` (and
 * their gradients) `u` values from `s`; the kept `cPrev`, `cNext`, `actC` `u` values from `r0`.
 *
 *   dc_t = dc + dh ⊙ o ⊙ act'(c_t);  d_o = dh ⊙ act(c_t);  d_i = dc_t ⊙ g;  d_f = dc_t ⊙ c_{t−1};
 *   d_g = dc_t ⊙ i;  dc_{t−1} = dc_t ⊙ f
 */
import type { KernelActivation } from '@rnnkit/core';
import { activateInPlace, clampTanhInput, tanhDenominator, tanhNumerator } from './activations.js';
import { scaleByDerivative } from './derivatives.js';

/** Every step's activations that the backward step reads (see the module comment). */
export interface LSTMKept {
  /** Gate pre-activations; the same array as `gates` with the Keras default activations. */
  pre: Float32Array;
  gates: Float32Array;
  /** `c` before the step, and `act(c)` after it. */
  cPrev: Float32Array;
  actC: Float32Array;
  /**
   * `c` after the step, which the derivative of an activation other than tanh reads; with tanh,
   * whose derivative comes from `actC`, the same array as `actC`.
   */
  cNext: Float32Array;
}

/**
 * One row's step for the Keras default activations (tanh, sigmoid) in one pass over the units:
 * the gates from `z [zb ..]` into `gates [g0 ..]`, `c` updated in place with its old value and
 * `act(c)` kept, `h` written.
 *
 * Each activation is the rational `p/q` of `tanhOfSquared` (σ(x) = (q + p) / 2q at x/2); the
 * four gates share one division: with `r = 1 / (q_i·q_f·q_g·q_o)`, `1/q_i = r·q_f·q_g·q_o` and
 * so on. The denominators lie in [4.8e-3, 1] on the clamped inputs, so their product neither
 * underflows nor loses accuracy.
 */
export function lstmDefaultStep(
  z: Float32Array,
  zb: number,
  gates: Float32Array,
  g0: number,
  c: Float32Array,
  s: number,
  cPrev: Float32Array,
  actC: Float32Array,
  r0: number,
  h: Float32Array,
  u: number,
): void {
  for (let j = 0; j < u; j++) {
    const xi = clampTanhInput(0.5 * z[zb + j]);
    const xf = clampTanhInput(0.5 * z[zb + u + j]);
    const xg = clampTanhInput(z[zb + 2 * u + j]);
    const xo = clampTanhInput(0.5 * z[zb + 3 * u + j]);
    const xi2 = xi * xi;
    const xf2 = xf * xf;
    const xg2 = xg * xg;
    const xo2 = xo * xo;
    const qi = tanhDenominator(xi2);
    const qf = tanhDenominator(xf2);
    const qg = tanhDenominator(xg2);
    const qo = tanhDenominator(xo2);
    const qif = qi * qf;
    const qgo = qg * qo;
    const r = 1 / (qif * qgo);
    const rif = r * qgo; // 1 / (q_i·q_f)
    const rgo = r * qif; // 1 / (q_g·q_o)
    const i = 0.5 * (qi + tanhNumerator(xi, xi2)) * (rif * qf);
    const f = 0.5 * (qf + tanhNumerator(xf, xf2)) * (rif * qi);
    const g = tanhNumerator(xg, xg2) * (rgo * qo);
    const o = 0.5 * (qo + tanhNumerator(xo, xo2)) * (rgo * qg);
    gates[g0 + j] = i;
    gates[g0 + u + j] = f;
    gates[g0 + 2 * u + j] = g;
    gates[g0 + 3 * u + j] = o;
    const cp = c[s + j];
    cPrev[r0 + j] = cp;
    // c is a float32 state, and act(c) as kept: h uses the rounded values the backward reads.
    const cn = Math.fround(Math.fround(f) * cp + Math.fround(i) * Math.fround(g));
    c[s + j] = cn;
    const xc = clampTanhInput(cn);
    const xc2 = xc * xc;
    const a = Math.fround(tanhNumerator(xc, xc2) / tanhDenominator(xc2));
    actC[r0 + j] = a;
    h[s + j] = Math.fround(o) * a;
  }
}

/**
 * One row's step for any activations: the gates from `z [zb ..]` (pre-activations kept in
 * `k.pre`, activations in `k.gates` at `g0`), `c` updated in place, its old and new value and
 * `act(c)` kept at `r0`, `h` written.
 */
export function lstmKeepingStep(
  act: KernelActivation,
  recAct: KernelActivation,
  z: Float32Array,
  zb: number,
  k: LSTMKept,
  g0: number,
  c: Float32Array,
  s: number,
  r0: number,
  h: Float32Array,
  u: number,
): void {
  const { pre, gates, cPrev, cNext, actC } = k;
  pre.set(z.subarray(zb, zb + 4 * u), g0);
  gates.set(z.subarray(zb, zb + 4 * u), g0);
  activateInPlace(recAct, gates, g0, 2 * u);
  activateInPlace(act, gates, g0 + 2 * u, u);
  activateInPlace(recAct, gates, g0 + 3 * u, u);
  cPrev.set(c.subarray(s, s + u), r0);
  for (let j = 0; j < u; j++) {
    c[s + j] = gates[g0 + u + j] * c[s + j] + gates[g0 + j] * gates[g0 + 2 * u + j];
  }
  cNext.set(c.subarray(s, s + u), r0);
  actC.set(c.subarray(s, s + u), r0);
  activateInPlace(act, actC, r0, u);
  for (let j = 0; j < u; j++) h[s + j] = gates[g0 + 3 * u + j] * actC[r0 + j];
}

/**
 * One row's backward step: from the gradients `dh`, `dc` of the states after the step (at `s`),
 * writes the gate gradients into `dz [g0 ..]` and replaces `dc` by the gradient of `c` before
 * the step. `dAct` is scratch of `u` values.
 */
export function lstmBackwardStep(
  act: KernelActivation,
  recAct: KernelActivation,
  k: LSTMKept,
  g0: number,
  r0: number,
  dh: Float32Array,
  dc: Float32Array,
  s: number,
  dz: Float32Array,
  dAct: Float32Array,
  u: number,
): void {
  const { pre, gates, cPrev, cNext, actC } = k;
  const i0 = g0;
  const f0 = g0 + u;
  const c0 = g0 + 2 * u;
  const o0 = g0 + 3 * u;
  for (let j = 0; j < u; j++) {
    dz[o0 + j] = dh[s + j] * actC[r0 + j];
    dAct[j] = dh[s + j] * gates[o0 + j]; // dh ⊙ o, then times act'(c_t)
  }
  scaleByDerivative(act, cNext, actC, r0, dAct, 0, u);
  for (let j = 0; j < u; j++) {
    const dct = dc[s + j] + dAct[j];
    dz[i0 + j] = dct * gates[c0 + j];
    dz[f0 + j] = dct * cPrev[r0 + j];
    dz[c0 + j] = dct * gates[i0 + j];
    dc[s + j] = dct * gates[f0 + j];
  }
  scaleByDerivative(recAct, pre, gates, i0, dz, i0, 2 * u);
  scaleByDerivative(act, pre, gates, c0, dz, c0, u);
  scaleByDerivative(recAct, pre, gates, o0, dz, o0, u);
}
