/**
 * WGSL generation for the recurrence. Shapes that size arrays or loops (units, batch tile) and
 * every flag are baked in as constants; batch and time come from a uniform, so one pipeline
 * serves every batch size and sequence length.
 *
 * Bindings (the same numbers on both paths; optional ones are left out of shader and layout):
 * 0 `xp` projected inputs `[B·T, G·U]` (no bias) · 1 `rk` recurrent kernel `[U, G·U]` ·
 * 2 `bias` · 3 `mask` `[B, T]` (optional) · 4 `rmask` `[B, U]` (optional) · 5 `out` ·
 * 6 `hst` · 7 `cst` (LSTM, workgroup path) · 8 uniform parameters.
 */
import { FAMILIES, gateCount, type KernelActivation, type RecurrentFamily } from '@rnnkit/core';
import { activationFn, activationsWgsl } from './wgsl_activations.js';
import { PER_STEP_WORKGROUP } from './plan.js';

/** Recurrent cell family. */
export type Family = 'lstm' | 'gru' | 'simple';

/** Everything that changes the generated code. */
export interface ShaderConfig {
  family: Family;
  units: number;
  activation: KernelActivation;
  /** Gate activation (LSTM, GRU); ignored for SimpleRNN. */
  recurrentActivation: KernelActivation;
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
  /** How the mask is stored on the GPU: bool and int32 tensors as `i32`, float32 as `f32`. */
  mask: 'none' | 'i32' | 'f32';
  recurrentMask: boolean;
}

/** Each shader family's row of core's family table. */
export const FAMILY_ROW: Record<Family, RecurrentFamily> = {
  lstm: FAMILIES.LSTM,
  gru: FAMILIES.GRU,
  simple: FAMILIES.SimpleRNN,
};

/** Gate blocks per family, from the family table. */
export const GATE_COUNT: Record<Family, number> = {
  lstm: gateCount(FAMILY_ROW.lstm),
  gru: gateCount(FAMILY_ROW.gru),
  simple: gateCount(FAMILY_ROW.simple),
};

/** Whether the family carries a second state `c` (LSTM), from the family table. */
export function hasCellState(family: Family): boolean {
  return FAMILY_ROW[family].states.length > 1;
}

/** GRU with `resetAfter: false`: the candidate needs `r ⊙ h` of every unit first. */
export function isTwoPhase(c: ShaderConfig): boolean {
  return c.family === 'gru' && !c.resetAfter;
}

/** Binding numbers, fixed so both paths and the layout builder agree. */
export const BINDING = {
  xp: 0,
  rk: 1,
  bias: 2,
  mask: 3,
  rmask: 4,
  out: 5,
  hst: 6,
  cst: 7,
  params: 8,
} as const;

/** Which storage bindings a config uses, in binding order, with their access. */
export function storageBindings(
  c: ShaderConfig,
  path: 'workgroup' | 'per-step',
): { binding: number; name: keyof typeof BINDING; write: boolean }[] {
  const list: { binding: number; name: keyof typeof BINDING; write: boolean }[] = [
    { binding: BINDING.xp, name: 'xp', write: false },
    { binding: BINDING.rk, name: 'rk', write: false },
    { binding: BINDING.bias, name: 'bias', write: false },
  ];
  if (c.mask !== 'none') list.push({ binding: BINDING.mask, name: 'mask', write: false });
  if (c.recurrentMask) list.push({ binding: BINDING.rmask, name: 'rmask', write: false });
  list.push({ binding: BINDING.out, name: 'out', write: true });
  list.push({ binding: BINDING.hst, name: 'hst', write: true });
  if (hasCellState(c.family) && path === 'workgroup') {
    list.push({ binding: BINDING.cst, name: 'cst', write: true });
  }
  return list;
}

function declarations(c: ShaderConfig, path: 'workgroup' | 'per-step'): string {
  const lines = storageBindings(c, path).map(({ binding, name, write }) => {
    const type = name === 'mask' && c.mask === 'i32' ? 'i32' : 'f32';
    const access = write ? 'read_write' : 'read';
    return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${type}>;`;
  });
  lines.push(`@group(0) @binding(${BINDING.params}) var<uniform> p: Params;`);
  return lines.join('\n');
}

/** WGSL `u32` literal. */
function u(n: number): string {
  return `${n}u`;
}

/**
 * The cell update for one (row, unit): reads `xb` (row offset into `xp`), `hm` (previous `h`
 * times the recurrent mask), `cp` (previous `c`), the recurrent sums `a<g>` and, for two-phase
 * GRU, `zg` (the update gate); declares `hn` and, for LSTM, `cn`.
 */
function cellUpdate(c: ShaderConfig, a: (g: number) => string, zg: string): string {
  const U = c.units;
  const act = activationFn(c.activation);
  const ract = activationFn(c.recurrentActivation);
  const x = (g: number) => `(xp[xb + ${u(g * U)} + uu] + bias[${u(g * U)} + uu])`;
  switch (c.family) {
    case 'simple':
      return `let hn = ${act}(${x(0)} + ${a(0)});`;
    case 'lstm':
      return [
        `let ig = ${ract}(${x(0)} + ${a(0)});`,
        `let fg = ${ract}(${x(1)} + ${a(1)});`,
        `let cc = ${act}(${x(2)} + ${a(2)});`,
        `let og = ${ract}(${x(3)} + ${a(3)});`,
        `let cn = fg * cp + ig * cc;`,
        `let hn = og * ${act}(cn);`,
      ].join('\n');
    case 'gru':
      if (c.resetAfter) {
        const rb = (g: number) => `bias[${u(GATE_COUNT.gru * U + g * U)} + uu]`;
        return [
          `let zz = ${ract}(${x(0)} + (${a(0)} + ${rb(0)}));`,
          `let rr = ${ract}(${x(1)} + (${a(1)} + ${rb(1)}));`,
          `let hh = ${act}(${x(2)} + rr * (${a(2)} + ${rb(2)}));`,
          `let hn = zz * hm + (1.0 - zz) * hh;`,
        ].join('\n');
      }
      return [
        `let hh = ${act}(${x(2)} + ${a(2)});`,
        `let hn = ${zg} * hm + (1.0 - ${zg}) * hh;`,
      ].join('\n');
  }
}

/** The mask test for step `t` of row `b`, as a WGSL bool expression. */
function keepExpr(c: ShaderConfig, b: string, steps: string, t: string): string {
  if (c.mask === 'none') return 'true';
  const v = `mask[${b} * ${steps} + ${t}]`;
  return c.mask === 'i32' ? `(${v} != 0)` : `(${v} != 0.0)`;
}

/** Gates whose recurrent sum uses `h` directly (two-phase GRU adds gate 2 from `r ⊙ h`). */
function directGates(c: ShaderConfig): number[] {
  const g = GATE_COUNT[c.family];
  return Array.from({ length: isTwoPhase(c) ? 2 : g }, (_, i) => i);
}

/**
 * Workgroup path: one workgroup per `batchTile` rows, invocation `uu` owns unit `uu` of every row
 * in the tile and keeps its `h`, `c` and last output in registers; `h` (times the recurrent mask)
 * is shared through workgroup memory once per step.
 */
export function workgroupShader(c: ShaderConfig, workgroupSize: number, batchTile: number): string {
  const U = c.units;
  const GU = GATE_COUNT[c.family] * U;
  const rows = Array.from({ length: batchTile }, (_, r) => r);
  const gates = directGates(c);
  const twoPhase = isTwoPhase(c);
  const lstm = hasCellState(c.family); // the c state, as LSTM has
  const rm = (r: number) => (c.recurrentMask ? `rmask[b${r} * ${u(U)} + uu]` : '1.0');
  const pos = c.goBackwards && c.alignToInput ? 't' : 's';
  const ract = activationFn(c.recurrentActivation);
  const x = (g: number, r: number) => `(xp[xb${r} + ${u(g * U)} + uu] + bias[${u(g * U)} + uu])`;

  // Each row's update sits in its own block, so its locals (hm, cp, hn, …) need no suffix.
  const perRow = (r: number, body: string) => `if (ok${r}) {\n      let xb = xb${r};\n${body}\n}`;

  return `${activationsWgsl([c.activation, c.recurrentActivation])}
struct Params { batch: u32, steps: u32, pad0: u32, pad1: u32 }
${declarations(c, 'workgroup')}
var<workgroup> hs: array<f32, ${batchTile * U}>;
${twoPhase ? `var<workgroup> rhs: array<f32, ${batchTile * U}>;` : ''}

@compute @workgroup_size(${workgroupSize})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let live = lid < ${u(U)};
  let uu = min(lid, ${u(U - 1)});
  let steps = p.steps;
${rows
  .map(
    (r) => `  let b${r} = wid.x * ${u(batchTile)} + ${u(r)};
  let ok${r} = live && b${r} < p.batch;
  var h${r} = 0.0;
  var c${r} = 0.0;
  var o${r} = 0.0;
  var rm${r} = 0.0;
  if (ok${r}) {
    h${r} = hst[b${r} * ${u(U)} + uu];
    ${lstm ? `c${r} = cst[b${r} * ${u(U)} + uu];` : ''}
    rm${r} = ${rm(r)};
  }`,
  )
  .join('\n')}
  for (var s = 0u; s < steps; s = s + 1u) {
    let t = ${c.goBackwards ? 'steps - 1u - s' : 's'};
    if (live) {
${rows.map((r) => `      hs[${u(r * U)} + uu] = h${r} * rm${r};`).join('\n')}
    }
    workgroupBarrier();
${rows.map((r) => gates.map((g) => `    var a${r}_${g} = 0.0;`).join('\n')).join('\n')}
    for (var k = 0u; k < ${u(U)}; k = k + 1u) {
      let wrow = k * ${u(GU)} + uu;
${gates.map((g) => `      let w${g} = rk[wrow + ${u(g * U)}];`).join('\n')}
${rows
  .map(
    (r) =>
      `      let hk${r} = hs[${u(r * U)} + k];\n` +
      gates.map((g) => `      a${r}_${g} = a${r}_${g} + hk${r} * w${g};`).join('\n'),
  )
  .join('\n')}
    }
${rows.map((r) => `    let xb${r} = (b${r} * steps + t) * ${u(GU)};`).join('\n')}
${
  twoPhase
    ? `${rows
        .map(
          (r) => `    var zg${r} = 0.0;
    if (ok${r}) {
      zg${r} = ${ract}(${x(0, r)} + a${r}_0);
      let rg = ${ract}(${x(1, r)} + a${r}_1);
      rhs[${u(r * U)} + uu] = rg * h${r} * rm${r};
    }`,
        )
        .join('\n')}
    workgroupBarrier();
${rows.map((r) => `    var a${r}_2 = 0.0;`).join('\n')}
    for (var k = 0u; k < ${u(U)}; k = k + 1u) {
      let w2 = rk[k * ${u(GU)} + ${u(2 * U)} + uu];
${rows.map((r) => `      a${r}_2 = a${r}_2 + rhs[${u(r * U)} + k] * w2;`).join('\n')}
    }`
    : '    workgroupBarrier();'
}
${rows
  .map((r) =>
    perRow(
      r,
      `      let hm = h${r} * rm${r};
      let cp = c${r};
      ${cellUpdate(c, (g) => `a${r}_${g}`, `zg${r}`)}
      let keep = ${keepExpr(c, `b${r}`, 'steps', 't')};
      h${r} = select(h${r}, hn, keep);
      ${lstm ? `c${r} = select(c${r}, cn, keep);` : ''}
      o${r} = select(${c.zeroOutputForMask ? '0.0' : `o${r}`}, hn, keep);
      ${c.returnSequences ? `out[(b${r} * steps + ${pos}) * ${u(U)} + uu] = o${r};` : ''}`,
    ).replace(/^/gm, '    '),
  )
  .join('\n')}
  }
${rows
  .map(
    (r) => `  if (ok${r}) {
    ${c.returnSequences ? '' : `out[b${r} * ${u(U)} + uu] = o${r};`}
    hst[b${r} * ${u(U)} + uu] = h${r};
    ${lstm ? `cst[b${r} * ${u(U)} + uu] = c${r};` : ''}
  }`,
  )
  .join('\n')}
}
`;
}

/** Per-step uniform block: 8 × u32 (element offsets into the scratch buffer `hst`). */
export const PER_STEP_PARAMS_BYTES = 32;

/**
 * Per-step path: invocation `(uu, b)` computes one unit of one row for step `p.s`. `hst` is a
 * scratch buffer of regions of `B·U` floats: `h` (and `c` for LSTM) twice, ping-ponged between
 * steps at `p.src`/`p.dst`, plus `z` and `r ⊙ h` for two-phase GRU. Entry points: `main`, and
 * `gates` (two-phase GRU's first half).
 */
export function perStepShader(c: ShaderConfig): string {
  const U = c.units;
  const GU = GATE_COUNT[c.family] * U;
  const lstm = hasCellState(c.family); // the c state, as LSTM has
  const twoPhase = isTwoPhase(c);
  const rmk = c.recurrentMask ? `rmask[b * ${u(U)} + k]` : '1.0';
  const rmu = c.recurrentMask ? `rmask[b * ${u(U)} + uu]` : '1.0';
  const ract = activationFn(c.recurrentActivation);
  const keep = keepExpr(c, 'b', 'p.steps', 'p.t');
  const dot = (gates: number[], hk: string) => `${gates.map((g) => `  var a${g} = 0.0;`).join('\n')}
  for (var k = 0u; k < ${u(U)}; k = k + 1u) {
    let hk = ${hk};
    let wrow = k * ${u(GU)} + uu;
${gates.map((g) => `    a${g} = a${g} + hk * rk[wrow + ${u(g * U)}];`).join('\n')}
  }`;
  const header = `  let uu = gid.x;
  let b = gid.y;
  if (uu >= ${u(U)} || b >= p.batch) { return; }
  let nb = p.batch * ${u(U)};
  let row = b * ${u(U)};
  let xb = (b * p.steps + p.t) * ${u(GU)};
  let hp = hst[p.src + row + uu];
  let hm = hp * ${rmu};`;
  // Two-phase GRU keeps z at region 2 and r ⊙ h at region 3 of the scratch buffer.
  const gatesEntry = twoPhase
    ? `@compute @workgroup_size(${PER_STEP_WORKGROUP})
fn gates(@builtin(global_invocation_id) gid: vec3<u32>) {
${header}
${dot([0, 1], `hst[p.src + row + k] * ${rmk}`)}
  hst[2u * nb + row + uu] = ${ract}((xp[xb + uu] + bias[uu]) + a0);
  let rg = ${ract}((xp[xb + ${u(U)} + uu] + bias[${u(U)} + uu]) + a1);
  hst[3u * nb + row + uu] = rg * hm;
}`
    : '';
  const outIndex = c.returnSequences ? `(b * p.steps + p.pos) * ${u(U)} + uu` : 'row + uu';
  const prevIndex = c.returnSequences ? `(b * p.steps + p.prev) * ${u(U)} + uu` : 'row + uu';
  const prev = c.zeroOutputForMask ? '0.0' : `select(0.0, out[${prevIndex}], p.s > 0u)`;
  return `${activationsWgsl([c.activation, c.recurrentActivation])}
struct Params { batch: u32, steps: u32, s: u32, t: u32, pos: u32, prev: u32, src: u32, dst: u32 }
${declarations(c, 'per-step')}
${gatesEntry}
@compute @workgroup_size(${PER_STEP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
${header}
${
  twoPhase
    ? `${dot([2], `hst[3u * nb + row + k]`)}
  let zg = hst[2u * nb + row + uu];`
    : dot(directGates(c), `hst[p.src + row + k] * ${rmk}`)
}
  let cp = ${lstm ? 'hst[p.src + nb + row + uu]' : '0.0'};
  ${cellUpdate(c, (g) => `a${g}`, 'zg')}
  let keep = ${keep};
  hst[p.dst + row + uu] = select(hp, hn, keep);
  ${lstm ? 'hst[p.dst + nb + row + uu] = select(cp, cn, keep);' : ''}
  ${c.mask === 'none' ? `out[${outIndex}] = hn;` : `out[${outIndex}] = select(${prev}, hn, keep);`}
}
`;
}
