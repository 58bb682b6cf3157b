/**
 * The per-row work of the backward kernels (`backward.ts`), four units at a time: the forward
 * steps they recompute and the gate gradients of the reverse loop, one pass over a row each.
 *
 * Rows hold gate blocks in Keras order (`g·U + u`), so a row's last vector of a gate may be
 * partial: it is read and written lane by lane (`lanes` of 1–4), never past the block.
 *
 * With `fast` (tanh activation, sigmoid recurrent activation) the gates use the forward
 * kernels' activations (`vgate`, `vtanh`), so the recomputed steps are the forward's; their
 * derivatives read only the activated values.
 */
import { derivative } from './derivatives';
import { activate, madd, sp, vgate, vtanh } from './vmath';

/** Floats `0 .. lanes` at `p` (lanes 1–4), the rest zero. */
function load4(p: usize, lanes: i32): v128 {
  if (lanes == 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes `0 .. lanes` of `v` at `p`. */
function store4(p: usize, v: v128, lanes: i32): void {
  if (lanes == 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The recurrent activation of the gates: the forward's `vgate` on the fast path. */
function gate(fast: bool, ract: i32, z: v128): v128 {
  return fast ? vgate(z) : activate(ract, z);
}

/** The activation: the forward's `vtanh` on the fast path. */
function act1(fast: bool, act: i32, z: v128): v128 {
  return fast ? vtanh(z) : activate(act, z);
}

/** `g ⊙ act'(z)` given `a = act(z)`: `1 − a²` for tanh and `a(1 − a)` for sigmoid when fast. */
function times(fast: bool, kind: i32, tanh: bool, g: v128, z: v128, a: v128): v128 {
  if (fast) {
    return tanh
      ? f32x4.mul(g, f32x4.sub(sp(1.0), f32x4.mul(a, a)))
      : f32x4.mul(g, f32x4.mul(a, f32x4.sub(sp(1.0), a)));
  }
  return f32x4.mul(g, derivative(kind, z, a));
}

/**
 * One recomputed LSTM step of a row: pre-activations `z = x + r` and activations `a` (gate
 * rows), `c` updated in place (`c·f + i·g`, as the forward kernel rounds it), with `c_{t−1}`,
 * `c_t` and `act(c_t)` kept in `cPrev`, `cNew`, `cAct`, and the new `h`.
 */
export function lstmForwardRow(
  x: usize,
  r: usize,
  z: usize,
  a: usize,
  c: usize,
  cPrev: usize,
  cNew: usize,
  cAct: usize,
  h: usize,
  U: i32,
  fast: bool,
  act: i32,
  ract: i32,
): void {
  const gb = (<usize>U) << 2;
  for (let i = 0; i < U; i += 4) {
    const n = min(4, U - i);
    const o = (<usize>i) << 2;
    const zi = f32x4.add(load4(x + o, n), load4(r + o, n));
    const zf = f32x4.add(load4(x + gb + o, n), load4(r + gb + o, n));
    const zc = f32x4.add(load4(x + 2 * gb + o, n), load4(r + 2 * gb + o, n));
    const zo = f32x4.add(load4(x + 3 * gb + o, n), load4(r + 3 * gb + o, n));
    const ai = gate(fast, ract, zi);
    const af = gate(fast, ract, zf);
    const ac = act1(fast, act, zc);
    const ao = gate(fast, ract, zo);
    const cp = load4(c + o, n);
    const cn = madd(af, cp, f32x4.mul(ai, ac));
    const ca = act1(fast, act, cn);
    store4(z + o, zi, n);
    store4(z + gb + o, zf, n);
    store4(z + 2 * gb + o, zc, n);
    store4(z + 3 * gb + o, zo, n);
    store4(a + o, ai, n);
    store4(a + gb + o, af, n);
    store4(a + 2 * gb + o, ac, n);
    store4(a + 3 * gb + o, ao, n);
    store4(cPrev + o, cp, n);
    store4(c + o, cn, n);
    store4(cNew + o, cn, n);
    store4(cAct + o, ca, n);
    store4(h + o, f32x4.mul(ao, ca), n);
  }
}

/**
 * The gate gradients `gx` of one LSTM step of a row from `dh` (`g`) and `dc` (`gc`, carried
 * to the previous step in place): `do = dh ⊙ act(c) ⊙ σ'`, `dc += dh ⊙ o ⊙ act'(c)`, then
 * `di = dc ⊙ g ⊙ σ'`, `dg = dc ⊙ i ⊙ act'`, `df = dc ⊙ c_{t−1} ⊙ σ'`, `dc ← dc ⊙ f`.
 */
export function lstmBackwardRow(
  g: usize,
  gc: usize,
  z: usize,
  a: usize,
  cPrev: usize,
  cNew: usize,
  cAct: usize,
  gx: usize,
  U: i32,
  fast: bool,
  act: i32,
  ract: i32,
): void {
  const gb = (<usize>U) << 2;
  for (let i = 0; i < U; i += 4) {
    const n = min(4, U - i);
    const o = (<usize>i) << 2;
    const dh = load4(g + o, n);
    const ai = load4(a + o, n);
    const af = load4(a + gb + o, n);
    const ac = load4(a + 2 * gb + o, n);
    const ao = load4(a + 3 * gb + o, n);
    const ca = load4(cAct + o, n);
    const dc = f32x4.add(
      load4(gc + o, n),
      times(fast, act, true, f32x4.mul(dh, ao), load4(cNew + o, n), ca),
    );
    const zi = load4(z + o, n);
    const zf = load4(z + gb + o, n);
    const zc = load4(z + 2 * gb + o, n);
    const zo = load4(z + 3 * gb + o, n);
    store4(gx + o, times(fast, ract, false, f32x4.mul(dc, ac), zi, ai), n);
    store4(gx + gb + o, times(fast, ract, false, f32x4.mul(dc, load4(cPrev + o, n)), zf, af), n);
    store4(gx + 2 * gb + o, times(fast, act, true, f32x4.mul(dc, ai), zc, ac), n);
    store4(gx + 3 * gb + o, times(fast, ract, false, f32x4.mul(dh, ca), zo, ao), n);
    store4(gc + o, f32x4.mul(dc, af), n);
  }
}

/**
 * The gates of one recomputed GRU reset-before step of a row: `z`, `r` pre-activations and
 * activations (gate rows `x + rec`, first two blocks), `r ⊙ h` into `rh` and `rhKept`.
 */
export function gruGatesForwardRow(
  x: usize,
  rec: usize,
  hk: usize,
  z: usize,
  a: usize,
  rh: usize,
  rhKept: usize,
  U: i32,
  fast: bool,
  ract: i32,
): void {
  const gb = (<usize>U) << 2;
  for (let i = 0; i < U; i += 4) {
    const n = min(4, U - i);
    const o = (<usize>i) << 2;
    const zz = f32x4.add(load4(x + o, n), load4(rec + o, n));
    const zr = f32x4.add(load4(x + gb + o, n), load4(rec + gb + o, n));
    const ar = gate(fast, ract, zr);
    const rhv = f32x4.mul(ar, load4(hk + o, n));
    store4(z + o, zz, n);
    store4(z + gb + o, zr, n);
    store4(a + o, gate(fast, ract, zz), n);
    store4(a + gb + o, ar, n);
    store4(rh + o, rhv, n);
    store4(rhKept + o, rhv, n);
  }
}

/**
 * The candidate and new state of one recomputed GRU reset-before step of a row: candidate
 * pre-activation `x_h + rec2` (block 2 of `z`, `a`), `h = z·h_in + (1 − z)·ĥ` as the forward
 * kernel rounds it.
 */
export function gruCandidateForwardRow(
  x: usize,
  rec2: usize,
  hk: usize,
  z: usize,
  a: usize,
  h: usize,
  U: i32,
  fast: bool,
  act: i32,
): void {
  const c = (<usize>(2 * U)) << 2;
  for (let i = 0; i < U; i += 4) {
    const n = min(4, U - i);
    const o = (<usize>i) << 2;
    const zc = f32x4.add(load4(x + c + o, n), load4(rec2 + o, n));
    const hh = act1(fast, act, zc);
    const zv = load4(a + o, n);
    store4(z + c + o, zc, n);
    store4(a + c + o, hh, n);
    store4(h + o, madd(zv, load4(hk + o, n), f32x4.mul(f32x4.sub(sp(1.0), zv), hh)), n);
  }
}

/**
 * The update and candidate gate gradients of one GRU step of a row (both variants):
 * `dz = dh ⊙ (h_in − ĥ) ⊙ σ'`, `dĥ = dh ⊙ (1 − z) ⊙ act'`; `dh ← dh ⊙ z`, the blend's share
 * for `h_in`.
 */
export function gruBackwardRow(
  g: usize,
  hIn: usize,
  z: usize,
  a: usize,
  gx: usize,
  U: i32,
  fast: bool,
  act: i32,
  ract: i32,
): void {
  const c = (<usize>(2 * U)) << 2;
  for (let i = 0; i < U; i += 4) {
    const n = min(4, U - i);
    const o = (<usize>i) << 2;
    const gv = load4(g + o, n);
    const zv = load4(a + o, n);
    const hh = load4(a + c + o, n);
    const dz = f32x4.mul(gv, f32x4.sub(load4(hIn + o, n), hh));
    const dhh = f32x4.mul(gv, f32x4.sub(sp(1.0), zv));
    store4(gx + o, times(fast, ract, false, dz, load4(z + o, n), zv), n);
    store4(gx + c + o, times(fast, act, true, dhh, load4(z + c + o, n), hh), n);
    store4(g + o, f32x4.mul(gv, zv), n);
  }
}

/**
 * The reset gate gradient of one GRU reset-before step of a row from `d = d(r ⊙ h_in)`:
 * `dr = d ⊙ h_in ⊙ σ'`, and `dh += d ⊙ r` (to `h_in` through `r`).
 */
export function gruResetBackwardRow(
  d: usize,
  hIn: usize,
  z: usize,
  a: usize,
  gx: usize,
  dh: usize,
  U: i32,
  fast: bool,
  ract: i32,
): void {
  const gb = (<usize>U) << 2;
  for (let i = 0; i < U; i += 4) {
    const n = min(4, U - i);
    const o = (<usize>i) << 2;
    const dv = load4(d + o, n);
    const ar = load4(a + gb + o, n);
    const dr = f32x4.mul(dv, load4(hIn + o, n));
    store4(gx + gb + o, times(fast, ract, false, dr, load4(z + gb + o, n), ar), n);
    store4(dh + o, madd(dv, ar, load4(dh + o, n)), n);
  }
}
