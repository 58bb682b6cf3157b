/**
 * Four-lane float32 math for the activations: exp, log, tanh, sigmoid, erf, built from
 * polynomials (Cephes) so the module needs no lookup tables and therefore no data segment in
 * the memory it shares with tfjs-backend-wasm.
 *
 * `madd` is `a·b + c`: fused (`f32x4.relaxed_madd`) in the relaxed-SIMD build, a multiply and
 * an add otherwise. The two builds differ only in rounding.
 */

/** `a·b + c`, fused where the relaxed-SIMD build allows. */
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** All four lanes set to `x`. */
export function sp(x: f32): v128 {
  return f32x4.splat(x);
}

const SIGN_MASK: i32 = 0x80000000;

/** e^x, |relative error| ≲ 2e-7 in the normal range; +Inf above ln(FLT_MAX), 0 far below. */
export function vexp(x0: v128): v128 {
  // Single-instruction clamps, as in vtanh; a NaN input stays NaN.
  const x1 = f32x4.pmin(f32x4.pmax(x0, sp(-87.5)), sp(88.72284));
  const n = f32x4.floor(madd(x1, sp(1.4426950408889634), sp(0.5)));
  // Cody–Waite range reduction: ln 2 split so that n·C1 is exact.
  let x = madd(n, sp(-0.693359375), x1);
  x = madd(n, sp(2.1219444e-4), x);
  let y = sp(1.98756915e-4);
  y = madd(y, x, sp(1.3981999507e-3));
  y = madd(y, x, sp(8.3334519073e-3));
  y = madd(y, x, sp(4.1665795894e-2));
  y = madd(y, x, sp(1.6666665459e-1));
  y = madd(y, x, sp(5.0000001201e-1));
  y = madd(y, f32x4.mul(x, x), f32x4.add(x, sp(1.0)));
  // 2^(n−1)·2y keeps n = 128 (x just below ln FLT_MAX) representable.
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(126)), 23);
  const r = f32x4.mul(f32x4.add(y, y), e);
  return v128.bitselect(sp(Infinity), r, f32x4.gt(x0, sp(88.72284)));
}

/** Natural log for finite x > 0 (used on arguments in [1, 2]). */
export function vlog(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(127));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, sp(1.41421356));
  m = v128.bitselect(f32x4.mul(m, sp(0.5)), m, big);
  e = i32x4.sub(e, big);
  const fe = f32x4.convert_i32x4_s(e);
  const f = f32x4.sub(m, sp(1.0));
  const z = f32x4.mul(f, f);
  let y = sp(7.0376836292e-2);
  y = madd(y, f, sp(-1.151461031e-1));
  y = madd(y, f, sp(1.167699874e-1));
  y = madd(y, f, sp(-1.2420140846e-1));
  y = madd(y, f, sp(1.4249322787e-1));
  y = madd(y, f, sp(-1.6668057665e-1));
  y = madd(y, f, sp(2.0000714765e-1));
  y = madd(y, f, sp(-2.4999993993e-1));
  y = madd(y, f, sp(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, f), z);
  y = madd(fe, sp(-2.1219444e-4), y);
  y = madd(z, sp(-0.5), y);
  const r = f32x4.add(f, y);
  return madd(fe, sp(0.693359375), r);
}

/**
 * tanh as a 13/6 rational function of the clamped input (the approximation Eigen uses for
 * float32): |relative error| < 4e-7, no exp, one division. ±7.9053 is where it reaches ±1.
 */
export function vtanh(x0: v128): v128 {
  // pmax/pmin (`b < a ? b : a` and the reverse) are single instructions, where min/max need a
  // NaN- and signed-zero-exact sequence; in this order a NaN input stays NaN.
  const x = f32x4.pmin(f32x4.pmax(x0, sp(-7.90531110763549805)), sp(7.90531110763549805));
  const x2 = f32x4.mul(x, x);
  let p = sp(-2.76076847742355e-16);
  p = madd(p, x2, sp(2.00018790482477e-13));
  p = madd(p, x2, sp(-8.60467152213735e-11));
  p = madd(p, x2, sp(5.12229709037114e-8));
  p = madd(p, x2, sp(1.48572235717979e-5));
  p = madd(p, x2, sp(6.37261928875436e-4));
  p = madd(p, x2, sp(4.89352455891786e-3));
  let q = sp(1.19825839466702e-6);
  q = madd(q, x2, sp(1.18534705686654e-4));
  q = madd(q, x2, sp(2.268434632439e-3));
  q = madd(q, x2, sp(4.89352518554385e-3));
  return f32x4.div(f32x4.mul(p, x), q);
}

/** Logistic sigmoid `1 / (1 + e^{−x})`. */
export function vsigmoid(x: v128): v128 {
  return f32x4.div(sp(1.0), f32x4.add(sp(1.0), vexp(f32x4.neg(x))));
}

/** `log(1 + e^{−|x|})`, the stable tail shared by softplus and log-sigmoid. */
function softplusTail(x: v128): v128 {
  return vlog(f32x4.add(sp(1.0), vexp(f32x4.neg(f32x4.abs(x)))));
}

/**
 * Sigmoid for the gates of the fused LSTM/GRU path: `0.5 + 0.5·tanh(x/2)` on the rational tanh.
 * |absolute error| < 2e-7 (relative error grows in the far negative tail, where the gate is
 * ~0 anyway); about a third cheaper than the exp form used for the `sigmoid` activation.
 */
export function vgate(x: v128): v128 {
  return madd(vtanh(f32x4.mul(x, sp(0.5))), sp(0.5), sp(0.5));
}

/** softplus `log(1 + e^x)`. */
export function vsoftplus(x: v128): v128 {
  return f32x4.add(f32x4.max(x, sp(0.0)), softplusTail(x));
}

/** erf by the Numerical Recipes erfc fit (|error| < 1.2e-7). */
export function verf(x: v128): v128 {
  const ax = f32x4.abs(x);
  const t = f32x4.div(sp(1.0), madd(sp(0.5), ax, sp(1.0)));
  let p = sp(0.17087277);
  p = madd(p, t, sp(-0.82215223));
  p = madd(p, t, sp(1.48851587));
  p = madd(p, t, sp(-1.13520398));
  p = madd(p, t, sp(0.27886807));
  p = madd(p, t, sp(-0.18628806));
  p = madd(p, t, sp(0.09678418));
  p = madd(p, t, sp(0.37409196));
  p = madd(p, t, sp(1.00002368));
  p = madd(p, t, sp(-1.26551223));
  p = f32x4.sub(p, f32x4.mul(ax, ax));
  const y = f32x4.sub(sp(1.0), f32x4.mul(t, vexp(p)));
  return v128.or(y, v128.and(x, i32x4.splat(SIGN_MASK)));
}

// Activation codes: the index in the kernel contract's KERNEL_ACTIVATIONS list.
export const ACT_LINEAR = 0;
export const ACT_TANH = 1;
export const ACT_SIGMOID = 2;
export const ACT_HARD_SIGMOID = 3;
export const ACT_HARD_SIGMOID_KERAS2 = 4;
export const ACT_RELU = 5;
export const ACT_RELU6 = 6;
export const ACT_ELU = 7;
export const ACT_SELU = 8;
export const ACT_SOFTPLUS = 9;
export const ACT_SOFTSIGN = 10;
export const ACT_EXPONENTIAL = 11;
export const ACT_SWISH = 12;
export const ACT_HARD_SWISH = 13;
export const ACT_GELU = 14;
export const ACT_LEAKY_RELU = 15;
export const ACT_MISH = 16;
export const ACT_LOG_SIGMOID = 17;

/** Number of activation codes. */
export const ACT_COUNT = 18;

function clamp01(x: v128): v128 {
  return f32x4.min(f32x4.max(x, sp(0.0)), sp(1.0));
}

function relu6(x: v128): v128 {
  return f32x4.min(f32x4.max(x, sp(0.0)), sp(6.0));
}

function expm1Neg(x: v128): v128 {
  // e^x − 1 for the x ≤ 0 branch of elu/selu; absolute error ~1e-7 near 0.
  return f32x4.sub(vexp(f32x4.min(x, sp(0.0))), sp(1.0));
}

/** Applies the activation with code `kind` to four lanes. */
export function activate(kind: i32, x: v128): v128 {
  switch (kind) {
    case ACT_TANH:
      return vtanh(x);
    case ACT_SIGMOID:
      return vsigmoid(x);
    case ACT_HARD_SIGMOID:
      return clamp01(f32x4.add(f32x4.div(x, sp(6.0)), sp(0.5)));
    case ACT_HARD_SIGMOID_KERAS2:
      return clamp01(madd(x, sp(0.2), sp(0.5)));
    case ACT_RELU:
      return f32x4.max(x, sp(0.0));
    case ACT_RELU6:
      return relu6(x);
    case ACT_ELU:
      return v128.bitselect(x, expm1Neg(x), f32x4.gt(x, sp(0.0)));
    case ACT_SELU: {
      const neg = f32x4.mul(expm1Neg(x), sp(1.6732632423543772));
      return f32x4.mul(v128.bitselect(x, neg, f32x4.gt(x, sp(0.0))), sp(1.0507009873554805));
    }
    case ACT_SOFTPLUS:
      return vsoftplus(x);
    case ACT_SOFTSIGN:
      return f32x4.div(x, f32x4.add(f32x4.abs(x), sp(1.0)));
    case ACT_EXPONENTIAL:
      return vexp(x);
    case ACT_SWISH:
      return f32x4.mul(x, vsigmoid(x));
    case ACT_HARD_SWISH:
      return f32x4.div(f32x4.mul(x, relu6(f32x4.add(x, sp(3.0)))), sp(6.0));
    case ACT_GELU: {
      const e = verf(f32x4.mul(x, sp(0.7071067811865476)));
      return f32x4.mul(f32x4.mul(x, sp(0.5)), f32x4.add(e, sp(1.0)));
    }
    case ACT_LEAKY_RELU:
      return v128.bitselect(x, f32x4.mul(x, sp(0.2)), f32x4.gt(x, sp(0.0)));
    case ACT_MISH:
      return f32x4.mul(x, vtanh(vsoftplus(x)));
    case ACT_LOG_SIGMOID:
      return f32x4.sub(f32x4.min(x, sp(0.0)), softplusTail(x));
    default:
      return x;
  }
}
