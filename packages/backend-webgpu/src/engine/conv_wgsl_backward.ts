/**
 * WGSL of the fused ConvLSTM backward (`ConvLSTMSequenceGrad`): two modules, one entry point per
 * phase, each with its own bind group (group 0) and the per-step uniform block of the forward
 * (`PER_STEP_PARAMS_BYTES`). After the forward module's `project` has written the input
 * convolution of every frame, bias included, to `xw` (`[B·T, P, 4·F]`, P = state positions):
 *
 * - `forward`: one forward step (as the forward's `main`), which overwrites the step's columns
 *   of `xw` with the gates' pre-activations `z` and keeps `h_in = h_{t−1} ⊙ recurrentMask`
 *   (`hin`, `[B·T, P, F]`, the input of `dU`) and `c_{t−1}` (`cprev`). `hst` holds two ping-pong
 *   blocks `(h, c)` of `B·P·F` floats, then per row and processing step whether the row took a
 *   step yet (its outputs before that are zeros), one value per filter group.
 * - `gates`: one reverse step, first half: the state gradients after the step (`dst`, ping-pong
 *   blocks `(dh, dc)`) plus the step's output gradient give the gate gradients `dz` (`dg`, zeros
 *   for a row that skipped the step) and `dc_{t−1}`; the whole `dh` is written back in place.
 * - `dstate`: second half: `dh_{t−1} = conv_sameᵀ(dz, U) ⊙ recurrentMask`, which reads the
 *   `dz` of every neighbouring position, hence its own dispatch; a skipped row passes `dh` on.
 * - `dkernel`, `drecurrent`: `dW = Σ patches(x)ᵀ·dz` and `dU = Σ patches(h_in)ᵀ·dz` over all
 *   `B·T` frames, one workgroup per four weights (its invocations split the rows, then add up).
 * - `dinput`: `dx = convᵀ(dz, W)` honouring strides, dilation and padding, one invocation per
 *   input value (a gather over the output positions that read it).
 * - `dbias`: `db`, the column sums of `dg`, one workgroup per four columns.
 *
 * `forward` and `gates` (the `steps` module) move values as the forward kernel does (`vec4<f32>`
 * per four filters when F is a multiple of 4); the others (the `products` module) read rows of
 * `4·F` columns as `vec4<f32>`. Geometry, filters, channels and flags are constants, batch and
 * time come from the uniforms.
 */
import { convGeometry, type ConvGeometry } from '@rnnkit/core';
import type { ConvShaderConfig } from './conv_validate.js';
import {
  CONV_WORKGROUP,
  filtersPerInvocation,
  i,
  invocation,
  keepExpr,
  product,
  tapLoops,
  u,
} from './conv_wgsl.js';
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
 * `partial[0] = Σ partial[0 … CONV_WORKGROUP)` (a tree in workgroup memory); every invocation of
 * the workgroup must reach it.
 */
const WORKGROUP_SUM = `  workgroupBarrier();
  for (var span = ${u(CONV_WORKGROUP / 2)}; span > 0u; span = span / 2u) {
    if (lid < span) {
      partial[lid] = partial[lid] + partial[lid + span];
    }
    workgroupBarrier();
  }`;

/**
 * A weight gradient: workgroup `(tap, channel ch, column group col)` sums
 * `src[frame, input position, ch] · dg[frame, o, col]` (four columns at once) over every frame
 * and output position `o` whose tap reads inside the input, its invocations striding over the
 * `B·T·P` rows of `dg`, then adding up in workgroup memory. `src` is
 * `[frames, ...g.inSize, channels]`; rows of `dg` and of the result hold `cols` vec4 columns.
 */
function weightGradient(
  entry: string,
  g: ConvGeometry,
  channels: number,
  src: string,
  out: string,
  cols: number,
): string {
  const [, k1, k2] = g.kernel;
  const [, o1, o2] = g.outSize;
  const [, n1, n2] = g.inSize;
  const total = product(g.kernel) * channels * cols;
  const at = (a: string, k: number) =>
    `let i${a} = o${a} * ${i(g.strides[k])} - ${i(g.padBefore[k])} + k${a} * ${i(g.dilations[k])};`;
  const inside = ['d', 'h', 'w']
    .map((a, k) => `i${a} >= 0i && i${a} < ${i(g.inSize[k])}`)
    .join(' && ');
  return `@compute @workgroup_size(${CONV_WORKGROUP})
fn ${entry}(${BUILTINS}) {
  // One workgroup per result value (workgroup ids are uniform: no early return before the sum).
  let idx = wid.y * nw.x + wid.x;
  let w = min(idx, ${u(total - 1)});
  let col = w % ${u(cols)};
  let rest = w / ${u(cols)};
  let ch = rest % ${u(channels)};
  let tap = i32(rest / ${u(channels)});
  let kw = tap % ${i(k2)};
  let kh = (tap / ${i(k2)}) % ${i(k1)};
  let kd = tap / ${i(k1 * k2)};
  var acc = vec4<f32>(0.0);
  for (var r = lid; r < p.batch * p.steps * ${u(product(g.outSize))}; r = r + ${u(CONV_WORKGROUP)}) {
    let f = r / ${u(product(g.outSize))};
    let o = i32(r % ${u(product(g.outSize))});
    let ow = o % ${i(o2)};
    let oh = (o / ${i(o2)}) % ${i(o1)};
    let od = o / ${i(o1 * o2)};
    ${at('d', 0)}
    ${at('h', 1)}
    ${at('w', 2)}
    if (${inside}) {
      let s = f * ${u(product(g.inSize))} + u32((id * ${i(n1)} + ih) * ${i(n2)} + iw);
      acc = acc + ${src}[s * ${u(channels)} + ch] * dg[r * ${u(cols)} + col];
    }
  }
  partial[lid] = acc;
${WORKGROUP_SUM}
  if (lid == 0u && idx < ${u(total)}) {
    ${out}[idx] = partial[0];
  }
}`;
}

/** The two modules of the backward: the per-state-value steps, and the products. */
export type ConvBackModule = 'steps' | 'products';

/** The module each entry point lives in. */
export const CONV_BACK_MODULE: Record<ConvBackEntry, ConvBackModule> = {
  forward: 'steps',
  gates: 'steps',
  dstate: 'products',
  dkernel: 'products',
  drecurrent: 'products',
  dinput: 'products',
  dbias: 'products',
};

const BUILTINS = `@builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nw: vec3<u32>`;

/** Storage declarations of the buffers `module`'s entry points use, typed by `typeOf`. */
function declarations(
  c: ConvShaderConfig,
  module: ConvBackModule,
  typeOf: (name: ConvBackBufferName) => string,
): string {
  const entries = CONV_BACK_ENTRIES.filter((e) => CONV_BACK_MODULE[e] === module);
  const names = [...new Set(entries.flatMap((e) => convBackBindings(c, e).map((b) => b.name)))];
  names.sort((a, b) => CONV_BACK_BINDING[a] - CONV_BACK_BINDING[b]);
  const lines = names.map((name) => {
    const type = name === 'mask' ? (c.mask === 'i32' ? 'i32' : 'f32') : typeOf(name);
    const access = WRITTEN.includes(name) ? 'read_write' : 'read';
    return `@group(0) @binding(${CONV_BACK_BINDING[name]}) var<storage, ${access}> ${name}: array<${type}>;`;
  });
  return `struct Params { batch: u32, steps: u32, s: u32, t: u32, pos: u32, aux: u32, src: u32, dst: u32 }
${lines.join('\n')}
@group(0) @binding(${CONV_BACK_BINDING.params}) var<uniform> p: Params;`;
}

/**
 * The module of the entry points `forward` and `gates`: one invocation per state value, or per
 * four filters of one position when the filters are a multiple of 4 (values then move as
 * `vec4<f32>`, as in the forward kernel). Element offsets in the uniforms are divided by the
 * filters per invocation.
 */
export function convBackwardStepsShader(c: ConvShaderConfig): string {
  const F = c.filters;
  const J = filtersPerInvocation(F);
  const V = J === 4 ? 'vec4<f32>' : 'f32';
  const FJ = F / J;
  const GFJ = 4 * FJ;
  const P = product(c.input.outSize);
  const recurrent = convGeometry(c.input.outSize, c.input.kernel, [1, 1, 1], [1, 1, 1], 'same');
  const zero = `${V}(0.0)`;
  const names = [c.activation, c.recurrentActivation];
  const vectorized = [...new Set(names)].flatMap((n) => [activationFn(n), derivativeFn(n)]);
  const wrapper = (f: string) =>
    `fn v${f}(v: ${V}) -> ${V} { return ${
      J === 4 ? `vec4<f32>(${f}(v.x), ${f}(v.y), ${f}(v.z), ${f}(v.w))` : `${f}(v)`
    }; }`;
  const act = `v${activationFn(c.activation)}`;
  const ract = `v${activationFn(c.recurrentActivation)}`;
  const dact = `v${derivativeFn(c.activation)}`;
  const dract = `v${derivativeFn(c.recurrentActivation)}`;
  const rm = (k: string) => (c.recurrentMask ? `rmask[${k}]` : `${V}(1.0)`);
  // Per row n and processing step s, whether the row took a step yet, after the two blocks.
  const seenAt = '4u * nb + n * p.steps';
  const scalar = (v: string) => (J === 4 ? `${v}.x` : v);
  const flag = needsSeen(c)
    ? scalar(`hst[${seenAt} + p.s]`)
    : c.zeroOutputForMask
      ? 'select(0.0, 1.0, keep)'
      : '1.0';
  const outGrad = c.returnSequences
    ? `dout[((n * p.steps + p.pos) * ${u(P)} + pp) * ${u(FJ)} + jq]`
    : `select(${zero}, dout[st], p.aux != 0u)`;
  /** `a<g> += v · rk[row + g·FJ]` for the four gates. */
  const accumulate = (v: string, row: string) =>
    [0, 1, 2, 3]
      .map((g) => `      a${g} = a${g} + ${v} * rk[${row}${g > 0 ? ` + ${u(g * FJ)}` : ''}];`)
      .join('\n');
  const hIn = (k: string) => `hst[src0 + q + ${k}] * ${rm(`q + ${k}`)}`;
  // The recurrent sum over the F channels of h at one input position, h moving as V too.
  const recurrentSum =
    J === 4
      ? `    for (var kq = 0u; kq < ${u(FJ)}; kq = kq + 1u) {
      let h4 = ${hIn('kq')};
      let w = wb + kq * ${u(4 * GFJ)};
${['x', 'y', 'z', 'w']
  .map((e, k) => accumulate(`h4.${e}`, `w${k > 0 ? ` + ${u(k * GFJ)}` : ''}`))
  .join('\n')}
    }`
      : `    for (var k = 0u; k < ${u(F)}; k = k + 1u) {
      let hk = ${hIn('k')};
${accumulate('hk', `wb + k * ${u(GFJ)}`)}
    }`;
  const gate = (g: number) => `zb${g > 0 ? ` + ${u(g * FJ)}` : ''}`;
  const common = `  let nb = p.batch * ${u(P * FJ)};
${invocation(recurrent, FJ, 'nb')}
  let src0 = p.src / ${u(J)};
  let dst0 = p.dst / ${u(J)};
  let st = rest * ${u(FJ)} + jq;
  let r = (n * p.steps + p.t) * ${u(P)} + pp;
  let zb = r * ${u(GFJ)} + jq;
  let keep = ${keepExpr(c)};`;

  return `${activationsAndDerivativesWgsl(names)}
${vectorized.map(wrapper).join('\n')}
${declarations(c, 'steps', (name) => (name === 'mask' ? 'f32' : V))}

@compute @workgroup_size(${CONV_WORKGROUP})
fn forward(${BUILTINS}) {
${common}
  var a0 = ${zero};
  var a1 = ${zero};
  var a2 = ${zero};
  var a3 = ${zero};
  let mb = n * ${u(P * FJ)};
  ${tapLoops(
    recurrent,
    `  let q = mb + src * ${u(FJ)};
    let wb = tap * ${u(F * GFJ)} + jq;
${recurrentSum}`,
  )}
  let zi = xw[${gate(0)}] + a0;
  let zf = xw[${gate(1)}] + a1;
  let zc = xw[${gate(2)}] + a2;
  let zo = xw[${gate(3)}] + a3;
  xw[${gate(0)}] = zi;
  xw[${gate(1)}] = zf;
  xw[${gate(2)}] = zc;
  xw[${gate(3)}] = zo;
  let hp = hst[src0 + st];
  let cp = hst[src0 + nb + st];
  hin[r * ${u(FJ)} + jq] = hp * ${rm('st')};
  cprev[r * ${u(FJ)} + jq] = cp;
  let cn = ${ract}(zf) * cp + ${ract}(zi) * ${act}(zc);
  let hn = ${ract}(zo) * ${act}(cn);
  hst[dst0 + st] = select(hp, hn, keep);
  hst[dst0 + nb + st] = select(cp, cn, keep);
  if (pp == 0u && jq == 0u) {
    let before = select(0.0, ${scalar(`hst[${seenAt} + p.s - 1u]`)}, p.s > 0u);
    hst[${seenAt} + p.s] = ${V}(select(before, 1.0, keep));
  }
}

@compute @workgroup_size(${CONV_WORKGROUP})
fn gates(${BUILTINS}) {
${common}
  let dh = dst[src0 + st] + ${flag} * ${outGrad};
  let dc = dst[src0 + nb + st];
  let zi = xw[${gate(0)}];
  let zf = xw[${gate(1)}];
  let zc = xw[${gate(2)}];
  let zo = xw[${gate(3)}];
  let cp = cprev[r * ${u(FJ)} + jq];
  let ig = ${ract}(zi);
  let fg = ${ract}(zf);
  let cg = ${act}(zc);
  let cn = fg * cp + ig * cg;
  let dct = dc + dh * ${ract}(zo) * ${dact}(cn);
  dg[${gate(0)}] = select(${zero}, dct * cg * ${dract}(zi), keep);
  dg[${gate(1)}] = select(${zero}, dct * cp * ${dract}(zf), keep);
  dg[${gate(2)}] = select(${zero}, dct * ig * ${dact}(zc), keep);
  dg[${gate(3)}] = select(${zero}, dh * ${act}(cn) * ${dract}(zo), keep);
  dst[src0 + st] = dh;
  dst[dst0 + nb + st] = select(dc, dct * fg, keep);
}
`;
}

/**
 * The module of the products: `dstate`, `dkernel`, `drecurrent`, `dinput` and `dbias`. Rows of
 * `4·F` columns (`dg`, the weights, their gradients) move as `F` values of `vec4<f32>`, so the
 * inner loops take four columns per load; states and inputs are scalar.
 */
export function convBackwardProductsShader(c: ConvShaderConfig): string {
  const F = c.filters;
  const C = c.channels;
  const input = c.input;
  const P = product(input.outSize);
  const recurrent = convGeometry(input.outSize, input.kernel, [1, 1, 1], [1, 1, 1], 'same');
  const rows = new Set<ConvBackBufferName>(['dg', 'rk', 'kernel', 'dw', 'du', 'db']);
  const rm = c.recurrentMask ? 'rmask[st]' : '1.0';
  /** `acc += dot(dg row, weight row)` over the `F` vec4 columns. */
  const rowDot = (weights: string, row: string, grads: string) => `  let gb = ${grads};
  let wb = ${row};
  for (var jj = 0u; jj < ${u(F)}; jj = jj + 1u) {
    acc = acc + dot(dg[gb + jj], ${weights}[wb + jj]);
  }`;

  return `${declarations(c, 'products', (name) => (rows.has(name) ? 'vec4<f32>' : 'f32'))}
var<workgroup> partial: array<vec4<f32>, ${CONV_WORKGROUP}>;

@compute @workgroup_size(${CONV_WORKGROUP})
fn dstate(${BUILTINS}) {
  let nb = p.batch * ${u(P * F)};
${inputInvocation(recurrent, F, 'nb')}
  let st = idx;
  let fb = (n * p.steps + p.t) * ${u(P)};
  var acc = 0.0;
  ${transposedTapLoops(recurrent, rowDot('rk', `(tap * ${u(F)} + ch) * ${u(F)}`, `(fb + o) * ${u(F)}`))}
  let keep = ${keepExpr(c)};
  dst[p.dst + st] = select(dst[p.src + st], acc * ${rm}, keep);
}

${weightGradient('dkernel', input, C, 'x', 'dw', F)}
${weightGradient('drecurrent', recurrent, F, 'hin', 'du', F)}
@compute @workgroup_size(${CONV_WORKGROUP})
fn dinput(${BUILTINS}) {
${inputInvocation(input, C, `p.batch * p.steps * ${u(product(input.inSize) * C)}`)}
  var acc = 0.0;
  ${transposedTapLoops(input, rowDot('kernel', `(tap * ${u(C)} + ch) * ${u(F)}`, `(n * ${u(P)} + o) * ${u(F)}`))}
  dx[idx] = acc;
}

@compute @workgroup_size(${CONV_WORKGROUP})
fn dbias(${BUILTINS}) {
  // One workgroup per four columns, as the weight gradients.
  let idx = wid.y * nw.x + wid.x;
  let col = min(idx, ${u(F - 1)});
  var acc = vec4<f32>(0.0);
  for (var r = lid; r < p.batch * p.steps * ${u(P)}; r = r + ${u(CONV_WORKGROUP)}) {
    acc = acc + dg[r * ${u(F)} + col];
  }
  partial[lid] = acc;
${WORKGROUP_SUM}
  if (lid == 0u && idx < ${u(F)}) {
    db[idx] = partial[0];
  }
}
`;
}
