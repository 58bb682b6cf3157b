/**
 * Activation derivatives for the backward kernels, four lanes at a time: `act'(z)` from the
 * pre-activation `z` and the activated value `a` (tanh, sigmoid and exponential read `a`).
 * At a kink the derivative of the branch taken for `z` exactly at it is used, as tfjs does.
 */
import {
  activate,
  ACT_ELU,
  ACT_EXPONENTIAL,
  ACT_GELU,
  ACT_HARD_SIGMOID,
  ACT_HARD_SIGMOID_KERAS2,
  ACT_HARD_SWISH,
  ACT_LEAKY_RELU,
  ACT_LINEAR,
  ACT_LOG_SIGMOID,
  ACT_MISH,
  ACT_RELU,
  ACT_RELU6,
  ACT_SELU,
  ACT_SIGMOID,
  ACT_SOFTPLUS,
  ACT_SOFTSIGN,
  ACT_SWISH,
  ACT_TANH,
  madd,
  sp,
  verf,
  vexp,
  vgate,
  vsigmoid,
  vsoftplus,
  vtanh,
} from './vmath';

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

/** 1 where `mask` is set, else 0. */
function ones(mask: v128): v128 {
  return v128.and(mask, sp(1.0));
}

/** `act'(z)` for the activation with code `kind`, given `a = act(z)`. */
export function derivative(kind: i32, z: v128, a: v128): v128 {
  switch (kind) {
    case ACT_LINEAR:
      return sp(1.0);
    case ACT_TANH:
      return f32x4.sub(sp(1.0), f32x4.mul(a, a));
    case ACT_SIGMOID:
      return f32x4.mul(a, f32x4.sub(sp(1.0), a));
    case ACT_HARD_SIGMOID:
      return v128.and(v128.and(f32x4.gt(z, sp(-3.0)), f32x4.lt(z, sp(3.0))), sp(1.0 / 6.0));
    case ACT_HARD_SIGMOID_KERAS2:
      return v128.and(v128.and(f32x4.gt(z, sp(-2.5)), f32x4.lt(z, sp(2.5))), sp(0.2));
    case ACT_RELU:
      return ones(f32x4.gt(z, sp(0.0)));
    case ACT_RELU6:
      return ones(v128.and(f32x4.gt(z, sp(0.0)), f32x4.lt(z, sp(6.0))));
    case ACT_ELU:
      return v128.bitselect(sp(1.0), vexp(f32x4.min(z, sp(0.0))), f32x4.gt(z, sp(0.0)));
    case ACT_SELU:
      return v128.bitselect(
        sp(SELU_SCALE),
        f32x4.mul(vexp(f32x4.min(z, sp(0.0))), sp(SELU_SCALE * SELU_ALPHA)),
        f32x4.gt(z, sp(0.0)),
      );
    case ACT_SOFTPLUS:
      return vsigmoid(z);
    case ACT_SOFTSIGN: {
      const d = f32x4.add(sp(1.0), f32x4.abs(z));
      return f32x4.div(sp(1.0), f32x4.mul(d, d));
    }
    case ACT_EXPONENTIAL:
      return a;
    case ACT_SWISH: {
      const s = vsigmoid(z);
      return madd(f32x4.mul(z, s), f32x4.sub(sp(1.0), s), s);
    }
    case ACT_HARD_SWISH: {
      const mid = f32x4.div(madd(z, sp(2.0), sp(3.0)), sp(6.0));
      const hi = v128.bitselect(sp(1.0), mid, f32x4.gt(z, sp(3.0)));
      return v128.bitselect(sp(0.0), hi, f32x4.lt(z, sp(-3.0)));
    }
    case ACT_GELU: {
      // Φ(z) + z·φ(z)
      const cdf = madd(verf(f32x4.mul(z, sp(0.7071067811865476))), sp(0.5), sp(0.5));
      const pdf = f32x4.mul(vexp(f32x4.mul(f32x4.mul(z, z), sp(-0.5))), sp(INV_SQRT_2PI));
      return madd(z, pdf, cdf);
    }
    case ACT_LEAKY_RELU:
      return v128.bitselect(sp(1.0), sp(0.2), f32x4.gt(z, sp(0.0)));
    case ACT_MISH: {
      const t = vtanh(vsoftplus(z));
      return madd(f32x4.mul(z, f32x4.sub(sp(1.0), f32x4.mul(t, t))), vsigmoid(z), t);
    }
    case ACT_LOG_SIGMOID:
      return vsigmoid(f32x4.neg(z));
    default:
      return sp(1.0);
  }
}

/**
 * `dst[i] = act(src[i])` for `n` floats (tail lanes one at a time: nothing written past n);
 * tanh and sigmoid, the defaults, in loops of their own rather than through the switch.
 */
export function activateRow(kind: i32, src: usize, dst: usize, n: i32): void {
  let i = 0;
  const body = n & ~3;
  if (kind == ACT_TANH) {
    for (; i < body; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(dst + o, vtanh(v128.load(src + o)));
    }
  } else if (kind == ACT_SIGMOID) {
    for (; i < body; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(dst + o, vsigmoid(v128.load(src + o)));
    }
  } else {
    for (; i < body; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(dst + o, activate(kind, v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, f32x4.extract_lane(activate(kind, f32x4.splat(load<f32>(src + o))), 0));
  }
}

/**
 * {@link activateRow} for gates of the recurrent activation `kind`; `fast` (the tanh/sigmoid
 * pair) takes the forward kernels' `vgate`, so that a recomputed step is the forward's.
 */
export function activateGates(fast: bool, kind: i32, src: usize, dst: usize, n: i32): void {
  if (!fast) {
    activateRow(kind, src, dst, n);
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, vgate(v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, f32x4.extract_lane(vgate(f32x4.splat(load<f32>(src + o))), 0));
  }
}

/** `g[i] *= act'(z[i])` for `n` floats, `a = act(z)`. */
export function scaleByDerivative(kind: i32, z: usize, a: usize, g: usize, n: i32): void {
  if (kind == ACT_LINEAR) return;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    const d = derivative(kind, v128.load(z + o), v128.load(a + o));
    v128.store(g + o, f32x4.mul(v128.load(g + o), d));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const d = derivative(kind, f32x4.splat(load<f32>(z + o)), f32x4.splat(load<f32>(a + o)));
    store<f32>(g + o, load<f32>(g + o) * f32x4.extract_lane(d, 0));
  }
}
