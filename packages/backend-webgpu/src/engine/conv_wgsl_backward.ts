/**
 * WGSL of the fused ConvLSTM backward (`ConvLSTMSequenceGrad`): one module, one entry point per
 * phase, each with its own bind group (group 0) and the per-step uniform block of the forward
 * (`PER_STEP_PARAMS_BYTES`). After the forward module's `project` has written the input
 * convolution of every frame, bias included, to `xw` (`[B·T, P, 4·F]`, P = state positions):
 *
 * - `forward`: one forward step (as the forward's `main`, one invocation per state value), which
 *   overwrites the step's columns of `xw` with the gates' pre-activations `z` and keeps
 *   `h_in = h_{t−1} ⊙ recurrentMask` (`hin`, `[B·T, P, F]`, the input of `dU`) and `c_{t−1}`
 *   (`cprev`). `hst` holds two ping-pong blocks `(h, c)` of `B·P·F` floats, then per row and
 *   processing step whether the row took a step yet (its outputs before that are zeros).
 * - `gates`: one reverse step, first half: the state gradients after the step (`dst`, ping-pong
 *   blocks `(dh, dc)`) plus the step's output gradient give the gate gradients `dz` (`dg`, zeros
 *   for a row that skipped the step) and `dc_{t−1}`; the whole `dh` is written back in place.
 * - `dstate`: second half: `dh_{t−1} = conv_sameᵀ(dz, U) ⊙ recurrentMask`, which reads the
 *   `dz` of every neighbouring position, hence its own dispatch; a skipped row passes `dh` on.
 * - `dkernel`, `drecurrent`: `dW = Σ patches(x)ᵀ·dz` and `dU = Σ patches(h_in)ᵀ·dz` over all
 *   `B·T` frames, one invocation per weight.
 * - `dinput`: `dx = convᵀ(dz, W)` honouring strides, dilation and padding, one invocation per
 *   input value (a gather over the output positions that read it).
 * - `dbias`: `db`, the column sums of `dg`.
 *
 * Values are scalar f32 throughout; geometry, filters, channels and flags are constants, batch
 * and time come from the uniforms.
 */
import { convGeometry, type ConvGeometry } from '@rnnkit/core';
import type { ConvShaderConfig } from './conv_validate.js';
import { CONV_WORKGROUP, i, invocation, keepExpr, product, tapLoops, u } from './conv_wgsl.js';
import { activationFn } from './wgsl_activations.js';
import { activationsAndDerivativesWgsl, derivativeFn } from './wgsl_derivatives.js';

/** Binding numbers of the backward module. */
export const CONV_BACK_BINDING = {
  x: 0,
  kernel: 1,
  xw: 2,
  rk: 3,
  mask: 4,
  rmask: 5,
  hst: 6,
  hin: 7,
  cprev: 8,
  dout: 9,
  dst: 10,
  dg: 11,
  dw: 12,
  du: 13,
  dx: 14,
  db: 15,
  params: 16,
} as const;

/** A name of {@link CONV_BACK_BINDING} other than the uniforms. */
export type ConvBackBufferName = Exclude<keyof typeof CONV_BACK_BINDING, 'params'>;

/** The entry points of the backward module, in the order a call dispatches them. */
export const CONV_BACK_ENTRIES = [
  'forward',
  'gates',
  'dstate',
  'dkernel',
  'drecurrent',
  'dinput',
  'dbias',
] as const;

/** One entry point of the backward module. */
export type ConvBackEntry = (typeof CONV_BACK_ENTRIES)[number];

/** Buffers some entry point writes: declared `read_write` in the module. */
const WRITTEN: ConvBackBufferName[] = [
  'xw',
  'hst',
  'hin',
  'cprev',
  'dst',
  'dg',
  'dw',
  'du',
  'dx',
  'db',
];

/** Whether the gradient of a step's output needs the kept "row took a step yet" flags. */
function needsSeen(c: ConvShaderConfig): boolean {
  return c.mask !== 'none' && !c.zeroOutputForMask;
}

/** The storage bindings `entry` of `c` uses, in binding order (at most 7). */
export function convBackBindings(
  c: ConvShaderConfig,
  entry: ConvBackEntry,
): { binding: number; name: ConvBackBufferName; write: boolean }[] {
  const masks: ConvBackBufferName[] = [];
  if (c.mask !== 'none') masks.push('mask');
  if (c.recurrentMask) masks.push('rmask');
  const byEntry: Record<ConvBackEntry, ConvBackBufferName[]> = {
    forward: ['xw', 'rk', ...masks, 'hst', 'hin', 'cprev'],
    gates: [
      'xw',
      ...(c.mask !== 'none' ? ['mask' as const] : []),
      ...(needsSeen(c) ? ['hst' as const] : []),
      'cprev',
      'dout',
      'dst',
      'dg',
    ],
    dstate: ['rk', ...masks, 'dst', 'dg'],
    dkernel: ['x', 'dg', 'dw'],
    drecurrent: ['hin', 'dg', 'du'],
    dinput: ['kernel', 'dg', 'dx'],
    dbias: ['dg', 'db'],
  };
  return byEntry[entry].map((name) => ({
    binding: CONV_BACK_BINDING[name],
    name,
    write: WRITTEN.includes(name),
  }));
}

/**
 * The invocation index as `(row n, input position pp, channel ch)` of a convolution's input
 * (`channels` per position), and that position's coordinates `(id, ih, iw)` (i32).
 */
function inputInvocation(g: ConvGeometry, channels: number, count: string): string {
  const [, ih, iw] = g.inSize;
  return `  let idx = (wid.y * nw.x + wid.x) * ${u(CONV_WORKGROUP)} + lid;
  if (idx >= ${count}) { return; }
  let ch = idx % ${u(channels)};
  let rest = idx / ${u(channels)};
  let pp = rest % ${u(product(g.inSize))};
  let n = rest / ${u(product(g.inSize))};
  let iw = i32(pp % ${u(iw)});
  let ih = i32((pp / ${u(iw)}) % ${u(ih)});
  let id = i32(pp / ${u(iw * ih)});`;
}

/**
 * Loops over the taps of `g` and the output positions that read input position `(id, ih, iw)`
 * through them (the transposed convolution); `body` sees `o` (the output position, u32) and
 * `tap` (u32).
 */
function transposedTapLoops(g: ConvGeometry, body: string): string {
  const axes = ['d', 'h', 'w'];
  const open = axes
    .map((a, k) => {
      const s = g.strides[k];
      const divisible = s > 1 ? ` || e${a} % ${i(s)} != 0i` : '';
      return `for (var k${a} = 0i; k${a} < ${i(g.kernel[k])}; k${a} = k${a} + 1i) {
  let e${a} = i${a} + ${i(g.padBefore[k])} - k${a} * ${i(g.dilations[k])};
  if (e${a} < 0i${divisible}) { continue; }
  let o${a} = e${a} / ${i(s)};
  if (o${a} >= ${i(g.outSize[k])}) { continue; }`;
    })
    .join('\n');
  const [, kh, kw] = g.kernel;
  const [, oh, ow] = g.outSize;
  return `${open}
  let o = u32((od * ${i(oh)} + oh) * ${i(ow)} + ow);
  let tap = u32((kd * ${i(kh)} + kh) * ${i(kw)} + kw);
${body}
}}}`;
}

/**
 * A weight gradient: invocation `(tap, channel ch, column col)` sums
 * `src[frame, input position, ch] · dg[frame, o, col]` over every frame and output position
 * `o` whose tap reads inside the input. `src` is `[frames, ...g.inSize, channels]`.
 */
function weightGradient(
  entry: string,
  g: ConvGeometry,
  channels: number,
  src: string,
  out: string,
  cols: number,
  builtins: string,
): string {
  const [, k1, k2] = g.kernel;
  const [, o1, o2] = g.outSize;
  const [, n1, n2] = g.inSize;
  const axes = ['d', 'h', 'w'];
  const loops = axes
    .map(
      (a, k) => `for (var o${a} = 0i; o${a} < ${i(g.outSize[k])}; o${a} = o${a} + 1i) {
      let i${a} = o${a} * ${i(g.strides[k])} - ${i(g.padBefore[k])} + k${a} * ${i(g.dilations[k])};
      if (i${a} < 0i || i${a} >= ${i(g.inSize[k])}) { continue; }`,
    )
    .join('\n');
  return `@compute @workgroup_size(${CONV_WORKGROUP})
fn ${entry}(${builtins}) {
  let idx = (wid.y * nw.x + wid.x) * ${u(CONV_WORKGROUP)} + lid;
  if (idx >= ${u(product(g.kernel) * channels * cols)}) { return; }
  let col = idx % ${u(cols)};
  let rest = idx / ${u(cols)};
  let ch = rest % ${u(channels)};
  let tap = i32(rest / ${u(channels)});
  let kw = tap % ${i(k2)};
  let kh = (tap / ${i(k2)}) % ${i(k1)};
  let kd = tap / ${i(k1 * k2)};
  var acc = 0.0;
  for (var f = 0u; f < p.batch * p.steps; f = f + 1u) {
    let sb = f * ${u(product(g.inSize) * channels)} + ch;
    let gb = f * ${u(product(g.outSize) * cols)} + col;
    ${loops}
      let s = u32((id * ${i(n1)} + ih) * ${i(n2)} + iw);
      let o = u32((od * ${i(o1)} + oh) * ${i(o2)} + ow);
      acc = acc + ${src}[sb + s * ${u(channels)}] * dg[gb + o * ${u(cols)}];
    }}}
  }
  ${out}[idx] = acc;
}`;
}

/** The WGSL module of the ConvLSTM backward of `c` (entry points {@link CONV_BACK_ENTRIES}). */
export function convLstmBackwardShader(c: ConvShaderConfig): string {
  const F = c.filters;
  const C = c.channels;
  const G = 4 * F;
  const input = c.input;
  const P = product(input.outSize);
  const recurrent = convGeometry(input.outSize, input.kernel, [1, 1, 1], [1, 1, 1], 'same');
  const seen = needsSeen(c);
  const names = [
    ...new Set(CONV_BACK_ENTRIES.flatMap((e) => convBackBindings(c, e).map((b) => b.name))),
  ].sort((a, b) => CONV_BACK_BINDING[a] - CONV_BACK_BINDING[b]);
  const declarations = names.map((name) => {
    const type = name === 'mask' && c.mask === 'i32' ? 'i32' : 'f32';
    const access = WRITTEN.includes(name) ? 'read_write' : 'read';
    return `@group(0) @binding(${CONV_BACK_BINDING[name]}) var<storage, ${access}> ${name}: array<${type}>;`;
  });
  const act = activationFn(c.activation);
  const ract = activationFn(c.recurrentActivation);
  const dact = derivativeFn(c.activation);
  const dract = derivativeFn(c.recurrentActivation);
  const builtins = `@builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nw: vec3<u32>`;
  const rm = (k: string) => (c.recurrentMask ? `rmask[${k}]` : '1.0');
  // Where the flags "row n took a step at or before processing step s" start in `hst`.
  const seenAt = '4u * nb + n * p.steps';
  const flag = seen
    ? `hst[${seenAt} + p.s]`
    : c.zeroOutputForMask
      ? 'select(0.0, 1.0, keep)'
      : '1.0';
  const outGrad = c.returnSequences
    ? `dout[((n * p.steps + p.pos) * ${u(P)} + pp) * ${u(F)} + j]`
    : `select(0.0, dout[st], p.aux != 0u)`;
  const accumulate = (v: string, row: string) =>
    [0, 1, 2, 3]
      .map((g) => `      a${g} = a${g} + ${v} * rk[${row}${g > 0 ? ` + ${u(g * F)}` : ''}];`)
      .join('\n');

  return `${activationsAndDerivativesWgsl([c.activation, c.recurrentActivation])}
struct Params { batch: u32, steps: u32, s: u32, t: u32, pos: u32, aux: u32, src: u32, dst: u32 }
${declarations.join('\n')}
@group(0) @binding(${CONV_BACK_BINDING.params}) var<uniform> p: Params;

@compute @workgroup_size(${CONV_WORKGROUP})
fn forward(${builtins}) {
  let nb = p.batch * ${u(P * F)};
${invocation(recurrent, F, 'nb')}
  let j = jq;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  let mb = n * ${u(P * F)};
  ${tapLoops(
    recurrent,
    `  let q = mb + src * ${u(F)};
    let wb = tap * ${u(F * G)} + j;
    for (var k = 0u; k < ${u(F)}; k = k + 1u) {
      let hk = hst[p.src + q + k] * ${rm('q + k')};
${accumulate('hk', `wb + k * ${u(G)}`)}
    }`,
  )}
  let st = rest * ${u(F)} + j;
  let r = (n * p.steps + p.t) * ${u(P)} + pp;
  let zb = r * ${u(G)} + j;
  let zi = xw[zb] + a0;
  let zf = xw[zb + ${u(F)}] + a1;
  let zc = xw[zb + ${u(2 * F)}] + a2;
  let zo = xw[zb + ${u(3 * F)}] + a3;
  xw[zb] = zi;
  xw[zb + ${u(F)}] = zf;
  xw[zb + ${u(2 * F)}] = zc;
  xw[zb + ${u(3 * F)}] = zo;
  let hp = hst[p.src + st];
  let cp = hst[p.src + nb + st];
  hin[r * ${u(F)} + j] = hp * ${rm('st')};
  cprev[r * ${u(F)} + j] = cp;
  let cn = ${ract}(zf) * cp + ${ract}(zi) * ${act}(zc);
  let hn = ${ract}(zo) * ${act}(cn);
  let keep = ${keepExpr(c)};
  hst[p.dst + st] = select(hp, hn, keep);
  hst[p.dst + nb + st] = select(cp, cn, keep);
  if (pp == 0u && j == 0u) {
    let before = select(0.0, hst[${seenAt} + p.s - 1u], p.s > 0u);
    hst[${seenAt} + p.s] = select(before, 1.0, keep);
  }
}

@compute @workgroup_size(${CONV_WORKGROUP})
fn gates(${builtins}) {
  let nb = p.batch * ${u(P * F)};
${invocation(recurrent, F, 'nb')}
  let j = jq;
  let st = rest * ${u(F)} + j;
  let r = (n * p.steps + p.t) * ${u(P)} + pp;
  let zb = r * ${u(G)} + j;
  let keep = ${keepExpr(c)};
  let dh = dst[p.src + st] + ${flag} * ${outGrad};
  let dc = dst[p.src + nb + st];
  let zi = xw[zb];
  let zf = xw[zb + ${u(F)}];
  let zc = xw[zb + ${u(2 * F)}];
  let zo = xw[zb + ${u(3 * F)}];
  let cp = cprev[r * ${u(F)} + j];
  let ig = ${ract}(zi);
  let fg = ${ract}(zf);
  let cg = ${act}(zc);
  let cn = fg * cp + ig * cg;
  let dct = dc + dh * ${ract}(zo) * ${dact}(cn);
  dg[zb] = select(0.0, dct * cg * ${dract}(zi), keep);
  dg[zb + ${u(F)}] = select(0.0, dct * cp * ${dract}(zf), keep);
  dg[zb + ${u(2 * F)}] = select(0.0, dct * ig * ${dact}(zc), keep);
  dg[zb + ${u(3 * F)}] = select(0.0, dh * ${act}(cn) * ${dract}(zo), keep);
  dst[p.src + st] = dh;
  dst[p.dst + nb + st] = select(dc, dct * fg, keep);
}

@compute @workgroup_size(${CONV_WORKGROUP})
fn dstate(${builtins}) {
  let nb = p.batch * ${u(P * F)};
${inputInvocation(recurrent, F, 'nb')}
  let st = idx;
  let fb = (n * p.steps + p.t) * ${u(P)};
  var acc = 0.0;
  ${transposedTapLoops(
    recurrent,
    `  let gb = (fb + o) * ${u(G)};
  let wb = (tap * ${u(F)} + ch) * ${u(G)};
  for (var jj = 0u; jj < ${u(G)}; jj = jj + 1u) {
    acc = acc + dg[gb + jj] * rk[wb + jj];
  }`,
  )}
  let keep = ${keepExpr(c)};
  dst[p.dst + st] = select(dst[p.src + st], acc * ${rm('st')}, keep);
}

${weightGradient('dkernel', input, C, 'x', 'dw', G, builtins)}
${weightGradient('drecurrent', recurrent, F, 'hin', 'du', G, builtins)}
@compute @workgroup_size(${CONV_WORKGROUP})
fn dinput(${builtins}) {
${inputInvocation(input, C, `p.batch * p.steps * ${u(product(input.inSize) * C)}`)}
  var acc = 0.0;
  ${transposedTapLoops(
    input,
    `  let gb = (n * ${u(P)} + o) * ${u(G)};
  let wb = (tap * ${u(C)} + ch) * ${u(G)};
  for (var jj = 0u; jj < ${u(G)}; jj = jj + 1u) {
    acc = acc + dg[gb + jj] * kernel[wb + jj];
  }`,
  )}
  dx[idx] = acc;
}

@compute @workgroup_size(${CONV_WORKGROUP})
fn dbias(${builtins}) {
  let col = (wid.y * nw.x + wid.x) * ${u(CONV_WORKGROUP)} + lid;
  if (col >= ${u(G)}) { return; }
  var acc = 0.0;
  for (var r = 0u; r < p.batch * p.steps * ${u(P)}; r = r + 1u) {
    acc = acc + dg[r * ${u(G)} + col];
  }
  db[col] = acc;
}
`;
}
