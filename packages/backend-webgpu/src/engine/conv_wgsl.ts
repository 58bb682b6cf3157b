/**
 * WGSL of the fused ConvLSTM: one module with two entry points, each with its own bind group
 * (group 0) and the same per-step uniform block.
 *
 * - `project`: the input convolution of every frame, bias included, in one dispatch; invocation
 *   `(frame, position, filter group)` writes the four gate columns of its filters to `xw`
 *   `[B·T, P, 4·F]` (P = output positions).
 * - `main`: one step, one dispatch; invocation `(row, position, filter group)` runs the
 *   recurrent convolution (`same`, stride 1) for the four gates of its filters, then the gates,
 *   the mask and the state update, and writes its output.
 *
 * A filter group is one filter, or four when F is a multiple of 4: then weights, gate inputs,
 * states and outputs move as `vec4<f32>`. Each input value loaded (of `x` or `h`) serves the
 * four gates of the group. Geometry, filters, channels and flags are constants; batch and time
 * come from the per-step uniform block (`PER_STEP_PARAMS_BYTES`), so one pipeline serves every
 * batch size and sequence length.
 *
 * Spatial axes are three (depth, height, width), leading ones of size 1 for ConvLSTM1D/2D;
 * weights `[...K, channels, 4·F]` are read as rows `(tap, channel)` of `4·F` columns.
 */
import { convGeometry, type ConvGeometry, type KernelActivation } from '@rnnkit/core';
import type { ConvShaderConfig } from './conv_validate.js';
import { activationFn, activationsWgsl } from './wgsl_activations.js';

/** Invocations per workgroup of both entry points, along one flattened index. */
export const CONV_WORKGROUP = 64;

/** Binding numbers; the optional `mask` and `rmask` are left out of shader and layout. */
export const CONV_BINDING = {
  x: 0,
  kernel: 1,
  bias: 2,
  xw: 3,
  rk: 4,
  mask: 5,
  rmask: 6,
  out: 7,
  hst: 8,
  params: 9,
} as const;

/** A name of {@link CONV_BINDING} other than the uniforms. */
export type ConvBufferName = Exclude<keyof typeof CONV_BINDING, 'params'>;

/** The two entry points; each has its own bind group (together they exceed 8 storage buffers). */
export type ConvEntry = 'project' | 'main';

/** The storage bindings `entry` of `c` uses, in binding order, with their access. */
export function convStorageBindings(
  c: ConvShaderConfig,
  entry: ConvEntry,
): { binding: number; name: ConvBufferName; write: boolean }[] {
  const names: ConvBufferName[] = [];
  if (entry === 'project') {
    names.push('x', 'kernel', 'bias', 'xw');
  } else {
    names.push('xw', 'rk');
    if (c.mask !== 'none') names.push('mask');
    if (c.recurrentMask) names.push('rmask');
    names.push('out', 'hst');
  }
  // `xw` is written by `project` and read by `main`; one declaration serves both: read_write.
  const written: ConvBufferName[] = ['xw', 'out', 'hst'];
  return names.map((name) => ({
    binding: CONV_BINDING[name],
    name,
    write: written.includes(name),
  }));
}

/** WGSL `u32` literal. */
export function u(n: number): string {
  return `${n}u`;
}

/** WGSL `i32` literal. */
export function i(n: number): string {
  return `${n}i`;
}

/** The product of `sizes` (1 for none). */
export function product(sizes: readonly number[]): number {
  return sizes.reduce((a, d) => a * d, 1);
}

/**
 * Loops over the taps of `g` for the output position `(od, oh, ow)` (i32 locals), skipping taps
 * in the padding; `body` sees `src` (the input position, u32) and `tap` (u32).
 */
export function tapLoops(g: ConvGeometry, body: string): string {
  const axes = ['d', 'h', 'w'];
  const open = axes
    .map(
      (a, k) => `for (var k${a} = 0i; k${a} < ${i(g.kernel[k])}; k${a} = k${a} + 1i) {
  let i${a} = o${a} * ${i(g.strides[k])} - ${i(g.padBefore[k])} + k${a} * ${i(g.dilations[k])};
  if (i${a} < 0i || i${a} >= ${i(g.inSize[k])}) { continue; }`,
    )
    .join('\n');
  const [, kh, kw] = g.kernel;
  const [, ih, iw] = g.inSize;
  return `${open}
  let src = u32((id * ${i(ih)} + ih) * ${i(iw)} + iw);
  let tap = u32((kd * ${i(kh)} + kh) * ${i(kw)} + kw);
${body}
}}}`;
}

/**
 * The flattened invocation index and the `(row n, position pp, filter group jq)` it stands for
 * (`groups` filter groups per position).
 */
export function invocation(g: ConvGeometry, groups: number, count: string): string {
  const [, oh, ow] = g.outSize;
  return `  let idx = (wid.y * nw.x + wid.x) * ${u(CONV_WORKGROUP)} + lid;
  if (idx >= ${count}) { return; }
  let jq = idx % ${u(groups)};
  let rest = idx / ${u(groups)};
  let pp = rest % ${u(product(g.outSize))};
  let n = rest / ${u(product(g.outSize))};
  let ow = i32(pp % ${u(ow)});
  let oh = i32((pp / ${u(ow)}) % ${u(oh)});
  let od = i32(pp / ${u(ow * oh)});`;
}

/** The mask test for step `p.t` of row `n`, as a WGSL bool expression. */
export function keepExpr(c: ConvShaderConfig): string {
  if (c.mask === 'none') return 'true';
  const v = 'mask[n * p.steps + p.t]';
  return c.mask === 'i32' ? `(${v} != 0)` : `(${v} != 0.0)`;
}

/**
 * Filters one invocation computes: 4 when the filters are a multiple of 4, so that weights,
 * gate inputs and states move as `vec4<f32>` (a quarter of the loads), else 1.
 */
export function filtersPerInvocation(filters: number): 1 | 4 {
  return filters % 4 === 0 ? 4 : 1;
}

/** The WGSL module of `c` (entry points `project` and `main`). */
export function convLstmShader(c: ConvShaderConfig): string {
  const F = c.filters;
  const C = c.channels;
  // Values of J filters travel as one V; FJ groups of J filters, GFJ V-columns per weight row.
  const J = filtersPerInvocation(F);
  const V = J === 4 ? 'vec4<f32>' : 'f32';
  const FJ = F / J;
  const GFJ = 4 * FJ;
  const input = c.input;
  const positions = product(input.outSize);
  const inPositions = product(input.inSize);
  // The recurrent convolution: `same` over the state's spatial sizes, stride 1, dilation 1.
  const recurrent = convGeometry(input.outSize, input.kernel, [1, 1, 1], [1, 1, 1], 'same');
  const bindings = [...convStorageBindings(c, 'project'), ...convStorageBindings(c, 'main')];
  const declarations = bindings
    .filter((b, k) => bindings.findIndex((o) => o.name === b.name) === k)
    .map(({ binding, name, write }) => {
      const type = name === 'mask' ? (c.mask === 'i32' ? 'i32' : 'f32') : name === 'x' ? 'f32' : V;
      const access = write ? 'read_write' : 'read';
      return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${type}>;`;
    });
  // The activations on V, component by component.
  const vectorAct = (name: KernelActivation) => {
    const f = activationFn(name);
    const body = J === 4 ? `vec4<f32>(${f}(v.x), ${f}(v.y), ${f}(v.z), ${f}(v.w))` : `${f}(v)`;
    return `fn v${f}(v: ${V}) -> ${V} { return ${body}; }`;
  };
  const names = [...new Set([c.activation, c.recurrentActivation])];
  const act = `v${activationFn(c.activation)}`;
  const ract = `v${activationFn(c.recurrentActivation)}`;
  const builtins = `@builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nw: vec3<u32>`;
  /** `a<g> += v · weights[row + g·FJ]` for the four gates. */
  const accumulate = (v: string, weights: string, row: string) =>
    [0, 1, 2, 3]
      .map((g) => `    a${g} = a${g} + ${v} * ${weights}[${row}${g > 0 ? ` + ${u(g * FJ)}` : ''}];`)
      .join('\n');
  const hIn = (k: string) =>
    c.recurrentMask ? `hst[hb + ${k}] * rmask[mb + ${k}]` : `hst[hb + ${k}]`;
  // The recurrent sum over the F channels of h at one input position: h moves as V too.
  const recurrentSum =
    J === 4
      ? `  for (var kq = 0u; kq < ${u(FJ)}; kq = kq + 1u) {
    let h4 = ${hIn('q + kq')};
    let w = wb + kq * ${u(4 * GFJ)};
${['x', 'y', 'z', 'w']
  .map((e, k) => accumulate(`h4.${e}`, 'rk', `w${k > 0 ? ` + ${u(k * GFJ)}` : ''}`))
  .join('\n')}
  }`
      : `  for (var k = 0u; k < ${u(F)}; k = k + 1u) {
    let hk = ${hIn('q + k')};
${accumulate('hk', 'rk', `wb + k * ${u(GFJ)}`)}
  }`;
  const outIndex = (step: string) =>
    c.returnSequences ? `((n * p.steps + ${step}) * ${u(positions)} + pp) * ${u(FJ)} + jq` : 'st';
  const zero = `${V}(0.0)`;
  const prev = c.zeroOutputForMask ? zero : `select(${zero}, out[${outIndex('p.prev')}], p.s > 0u)`;

  return `${activationsWgsl([c.activation, c.recurrentActivation])}
${names.map(vectorAct).join('\n')}
struct Params { batch: u32, steps: u32, s: u32, t: u32, pos: u32, prev: u32, src: u32, dst: u32 }
${declarations.join('\n')}
@group(0) @binding(${CONV_BINDING.params}) var<uniform> p: Params;

@compute @workgroup_size(${CONV_WORKGROUP})
fn project(${builtins}) {
${invocation(input, FJ, `p.batch * p.steps * ${u(positions * FJ)}`)}
  var a0 = bias[jq];
  var a1 = bias[${u(FJ)} + jq];
  var a2 = bias[${u(2 * FJ)} + jq];
  var a3 = bias[${u(3 * FJ)} + jq];
  let xn = n * ${u(inPositions * C)};
  ${tapLoops(
    input,
    `  let xb = xn + src * ${u(C)};
  let wb = tap * ${u(C * GFJ)} + jq;
  for (var k = 0u; k < ${u(C)}; k = k + 1u) {
    let xk = x[xb + k];
${accumulate('xk', 'kernel', `wb + k * ${u(GFJ)}`)}
  }`,
  )}
  let o = rest * ${u(GFJ)} + jq;
  xw[o] = a0;
  xw[o + ${u(FJ)}] = a1;
  xw[o + ${u(2 * FJ)}] = a2;
  xw[o + ${u(3 * FJ)}] = a3;
}

@compute @workgroup_size(${CONV_WORKGROUP})
fn main(${builtins}) {
  // Sizes and offsets in units of V (the uniforms hold element offsets).
  let nb = p.batch * ${u(positions * FJ)};
  let src0 = p.src / ${u(J)};
  let dst0 = p.dst / ${u(J)};
${invocation(recurrent, FJ, 'nb')}
  var a0 = ${zero};
  var a1 = ${zero};
  var a2 = ${zero};
  var a3 = ${zero};
  let mb = n * ${u(positions * FJ)};
  let hb = src0 + mb;
  ${tapLoops(
    recurrent,
    `  let q = src * ${u(FJ)};
  let wb = tap * ${u(F * GFJ)} + jq;
${recurrentSum}`,
  )}
  let st = rest * ${u(FJ)} + jq;
  let hp = hst[src0 + st];
  let cp = hst[src0 + nb + st];
  let xb = ((n * p.steps + p.t) * ${u(positions)} + pp) * ${u(GFJ)} + jq;
  let ig = ${ract}(xw[xb] + a0);
  let fg = ${ract}(xw[xb + ${u(FJ)}] + a1);
  let cc = ${act}(xw[xb + ${u(2 * FJ)}] + a2);
  let og = ${ract}(xw[xb + ${u(3 * FJ)}] + a3);
  let cn = fg * cp + ig * cc;
  let hn = og * ${act}(cn);
  let keep = ${keepExpr(c)};
  hst[dst0 + st] = select(hp, hn, keep);
  hst[dst0 + nb + st] = select(cp, cn, keep);
  ${c.mask === 'none' ? `out[${outIndex('p.pos')}] = hn;` : `out[${outIndex('p.pos')}] = select(${prev}, hn, keep);`}
}
`;
}
