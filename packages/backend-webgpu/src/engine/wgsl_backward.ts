/**
 * WGSL of the backward kernels (`<kernel>Grad`): a forward pass that keeps every step's
 * activations, then the reverse-time loop. Both run one dispatch per step with one workgroup per
 * batch row, whose invocations stride over the units: a row's phases (gate gradients, then the
 * recurrent product that reads all of them) are separated by a `storageBarrier`, so each step is
 * one dispatch whatever the number of units.
 *
 * Every step of the forward pass leaves, per input row `r = b·T + t` (`U` floats per field):
 * field 0 whether that step's output is `h` (not zeros: before the row's first taken step, or at
 * a masked step under `zeroOutputForMask`), fields `1 … G` the gates' pre-activations (GRU:
 * the candidate's whole pre-activation), and one more field for LSTM (`c_{t−1}`) and GRU with
 * `resetAfter` (`h_in·U_h + b_rec,h`). The scratch regions of both passes (`B·U` floats each)
 * follow the kept activations in the same buffer `sv`, so that a shader binds at most eight
 * storage buffers (WebGPU's default per-stage limit). `h_in = h_{t−1} ⊙ recurrentMask` goes to its own matrix
 * (`hin`, `[B·T, U]`), and for GRU with `resetAfter: false` `r ⊙ h_in` too (`rh`): they are the
 * left operands of `dU`. The reverse loop writes the gate gradients `dg` (`[B·T, G·U]`, zeros at
 * masked steps) and, for GRU with `resetAfter`, `dgr` (the candidate's column scaled by `r`, as
 * the recurrent product sees it).
 */
import { activationFn } from './wgsl_activations.js';
import { activationsAndDerivativesWgsl, derivativeFn } from './wgsl_derivatives.js';
import { GATE_COUNT, hasCellState, isTwoPhase, type ShaderConfig } from './wgsl.js';

/** Bindings of the forward pass that keeps activations. */
export const KEEP_BINDING = {
  xp: 0,
  rk: 1,
  bias: 2,
  mask: 3,
  rmask: 4,
  sv: 5,
  hin: 6,
  rh: 7,
  params: 8,
} as const;

/** Bindings of the reverse-time loop. */
export const BACK_BINDING = {
  sv: 0,
  hin: 1,
  rk: 2,
  mask: 3,
  rmask: 4,
  dout: 5,
  dg: 6,
  dgr: 7,
  params: 8,
} as const;

/** One storage binding of a backward shader. */
export interface StorageBinding {
  binding: number;
  name: string;
  write: boolean;
}

/** Fields of `U` floats the forward pass keeps per input row (see the module comment). */
export function savedFields(c: ShaderConfig): number {
  const extra = hasCellState(c.family) || (c.family === 'gru' && c.resetAfter) ? 1 : 0;
  return 1 + GATE_COUNT[c.family] + extra;
}

/** State regions of `B·U` floats per ping-pong block: `h`, and `c` for LSTM. */
export function stateRegions(c: ShaderConfig): number {
  return hasCellState(c.family) ? 2 : 1;
}

/**
 * The forward pass's scratch regions of `B·U` floats: two state blocks, then whether each row
 * took a step yet.
 */
export function forwardStateRegions(c: ShaderConfig): number {
  return 2 * stateRegions(c) + 1;
}

/** The reverse loop's: two blocks of state gradients, then `d(r ⊙ h_in)` for two-phase GRU. */
export function reverseStateRegions(c: ShaderConfig): number {
  return 2 * stateRegions(c) + (isTwoPhase(c) ? 1 : 0);
}

/** Where the scratch regions start in `sv`: after the kept activations of all rows. */
function forwardStateBase(c: ShaderConfig): string {
  return `p.batch * p.steps * ${u(savedFields(c) * c.units)}`;
}

/** The storage bindings of the forward pass that keeps activations, in binding order. */
export function keepBindings(c: ShaderConfig): StorageBinding[] {
  const list: StorageBinding[] = [
    { binding: KEEP_BINDING.xp, name: 'xp', write: false },
    { binding: KEEP_BINDING.rk, name: 'rk', write: false },
    { binding: KEEP_BINDING.bias, name: 'bias', write: false },
  ];
  if (c.mask !== 'none') list.push({ binding: KEEP_BINDING.mask, name: 'mask', write: false });
  if (c.recurrentMask) list.push({ binding: KEEP_BINDING.rmask, name: 'rmask', write: false });
  list.push({ binding: KEEP_BINDING.sv, name: 'sv', write: true });
  list.push({ binding: KEEP_BINDING.hin, name: 'hin', write: true });
  if (isTwoPhase(c)) list.push({ binding: KEEP_BINDING.rh, name: 'rh', write: true });
  return list;
}

/** The storage bindings of the reverse-time loop, in binding order. */
export function backBindings(c: ShaderConfig): StorageBinding[] {
  const list: StorageBinding[] = [
    { binding: BACK_BINDING.sv, name: 'sv', write: true },
    { binding: BACK_BINDING.hin, name: 'hin', write: false },
    { binding: BACK_BINDING.rk, name: 'rk', write: false },
  ];
  if (c.mask !== 'none') list.push({ binding: BACK_BINDING.mask, name: 'mask', write: false });
  if (c.recurrentMask) list.push({ binding: BACK_BINDING.rmask, name: 'rmask', write: false });
  list.push({ binding: BACK_BINDING.dout, name: 'dout', write: false });
  list.push({ binding: BACK_BINDING.dg, name: 'dg', write: true });
  if (c.family === 'gru' && c.resetAfter) {
    list.push({ binding: BACK_BINDING.dgr, name: 'dgr', write: true });
  }
  return list;
}

function declarations(c: ShaderConfig, list: StorageBinding[], params: number): string {
  const lines = list.map(({ binding, name, write }) => {
    const type = name === 'mask' && c.mask === 'i32' ? 'i32' : 'f32';
    const access = write ? 'read_write' : 'read';
    return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${type}>;`;
  });
  lines.push(`@group(0) @binding(${params}) var<uniform> p: Params;`);
  return lines.join('\n');
}

/** WGSL `u32` literal. */
function u(n: number): string {
  return `${n}u`;
}

/** Per-step uniform block (32 bytes); `pos`/`prev` and `last` differ by pass, see the runner. */
const PARAMS = `struct Params { batch: u32, steps: u32, s: u32, t: u32, pos: u32, aux: u32, src: u32, dst: u32 }`;

/** Lines every entry point starts with: the row, its offsets and the mask test. */
function header(c: ShaderConfig, stateBase: string): string {
  const U = c.units;
  const GU = GATE_COUNT[c.family] * U;
  const keep =
    c.mask === 'none'
      ? 'true'
      : c.mask === 'i32'
        ? '(mask[b * p.steps + p.t] != 0)'
        : '(mask[b * p.steps + p.t] != 0.0)';
  return `  let b = wid.x;
  let nb = p.batch * ${u(U)};
  let row = b * ${u(U)};
  let r = b * p.steps + p.t;
  let hb = r * ${u(U)};
  let gb = r * ${u(GU)};
  let sb = r * ${u(savedFields(c) * U)};
  let keep = ${keep};
  let stb = ${stateBase};`;
}

/** A loop of this invocation over the units it owns, as `name`. */
function overUnits(c: ShaderConfig, wg: number, name: string, body: string): string {
  return `  for (var ${name} = lid; ${name} < ${u(c.units)}; ${name} = ${name} + ${u(wg)}) {
${body}
  }`;
}

/**
 * The forward pass keeping activations, step `p.s` (input step `p.t`): reads the states from
 * the scratch regions at `p.src`, writes them to those at `p.dst` (`h`, then `c`), and keeps
 * whether any step of the row was taken so far in the region after both blocks.
 */
export function keepForwardShader(c: ShaderConfig, wg: number): string {
  const U = c.units;
  const GU = GATE_COUNT[c.family] * U;
  const act = activationFn(c.activation);
  const ract = activationFn(c.recurrentActivation);
  const rm = (k: string) => (c.recurrentMask ? `rmask[row + ${k}]` : '1.0');
  const x = (g: number) => `(xp[gb + ${u(g * U)} + m] + bias[${u(g * U)} + m])`;
  const field = (f: number, k = 'm') => `sv[sb + ${u(f * U)} + ${k}]`;
  const dot = (
    gates: number[],
    hk: string,
  ) => `    ${gates.map((g) => `var a${g} = 0.0;`).join(' ')}
    for (var k = 0u; k < ${u(U)}; k = k + 1u) {
      let hk = ${hk};
      let wrow = k * ${u(GU)} + m;
${gates.map((g) => `      a${g} = a${g} + hk * rk[wrow + ${u(g * U)}];`).join('\n')}
    }`;
  const hmk = `sv[stb + p.src + row + k] * ${rm('k')}`;
  const lstm = hasCellState(c.family);
  const seenAt = `${u(2 * stateRegions(c))} * nb`;
  const flag = c.zeroOutputForMask ? 'select(0.0, 1.0, keep)' : 'seen';
  const common = `    let hp = sv[stb + p.src + row + m];
    let hm = hp * ${rm('m')};`;
  const finish = `    let seen = select(select(0.0, sv[stb + ${seenAt} + row + m], p.s > 0u), 1.0, keep);
    sv[stb + ${seenAt} + row + m] = seen;
    ${field(0)} = ${flag};
    sv[stb + p.dst + row + m] = select(hp, hn, keep);
    ${lstm ? 'sv[stb + p.dst + nb + row + m] = select(cp, cn, keep);' : ''}`;

  let body: string;
  switch (c.family) {
    case 'simple':
      body = overUnits(
        c,
        wg,
        'm',
        `${common}
    hin[hb + m] = hm;
${dot([0], hmk)}
    let z0 = ${x(0)} + a0;
    ${field(1)} = z0;
    let hn = ${act}(z0);
${finish}`,
      );
      break;
    case 'lstm':
      body = overUnits(
        c,
        wg,
        'm',
        `${common}
    hin[hb + m] = hm;
    let cp = sv[stb + p.src + nb + row + m];
${dot([0, 1, 2, 3], hmk)}
    let zi = ${x(0)} + a0;
    let zf = ${x(1)} + a1;
    let zc = ${x(2)} + a2;
    let zo = ${x(3)} + a3;
    ${field(1)} = zi;
    ${field(2)} = zf;
    ${field(3)} = zc;
    ${field(4)} = zo;
    ${field(5)} = cp;
    let cn = ${ract}(zf) * cp + ${ract}(zi) * ${act}(zc);
    let hn = ${ract}(zo) * ${act}(cn);
${finish}`,
      );
      break;
    case 'gru': {
      if (c.resetAfter) {
        const rb = (g: number) => `bias[${u(GU + g * U)} + m]`;
        body = overUnits(
          c,
          wg,
          'm',
          `${common}
    hin[hb + m] = hm;
${dot([0, 1, 2], hmk)}
    let zp = ${x(0)} + (a0 + ${rb(0)});
    let rp = ${x(1)} + (a1 + ${rb(1)});
    let reset = a2 + ${rb(2)};
    let zh = ${x(2)} + ${ract}(rp) * reset;
    ${field(1)} = zp;
    ${field(2)} = rp;
    ${field(3)} = zh;
    ${field(4)} = reset;
    let zz = ${ract}(zp);
    let hn = zz * hm + (1.0 - zz) * ${act}(zh);
${finish}`,
        );
      } else {
        const gates = overUnits(
          c,
          wg,
          'm',
          `${common}
    hin[hb + m] = hm;
${dot([0, 1], hmk)}
    let zp = ${x(0)} + a0;
    let rp = ${x(1)} + a1;
    ${field(1)} = zp;
    ${field(2)} = rp;
    rh[hb + m] = ${ract}(rp) * hm;`,
        );
        const candidate = overUnits(
          c,
          wg,
          'm',
          `${common}
${dot([2], 'rh[hb + k]')}
    let zh = ${x(2)} + a2;
    ${field(3)} = zh;
    let zz = ${ract}(${field(1)});
    let hn = zz * hm + (1.0 - zz) * ${act}(zh);
${finish}`,
        );
        body = `${gates}\n  storageBarrier();\n${candidate}`;
      }
      break;
    }
  }
  return `${activationsAndDerivativesWgsl([c.activation, c.recurrentActivation])}
${PARAMS}
${declarations(c, keepBindings(c), KEEP_BINDING.params)}

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
${header(c, forwardStateBase(c))}
${body}
}
`;
}

/**
 * One step of the reverse-time loop, processing step `p.s` (input step `p.t`, output position
 * `p.pos`, `p.aux` = 1 at the last processed step): turns the state gradients after the step,
 * the scratch regions at `p.src` (`dh`, then `dc` for LSTM), plus the step's output gradient
 * where that output was `h`, into the gate gradients `dg` and the state gradients before the
 * step, at `p.dst`.
 * A row that skipped the step passes its state gradients through.
 */
export function backwardStepShader(c: ShaderConfig, wg: number): string {
  const U = c.units;
  const GU = GATE_COUNT[c.family] * U;
  const act = activationFn(c.activation);
  const ract = activationFn(c.recurrentActivation);
  const dact = derivativeFn(c.activation);
  const dract = derivativeFn(c.recurrentActivation);
  const rm = (k: string) => (c.recurrentMask ? `rmask[row + ${k}]` : '1.0');
  const field = (f: number, k = 'm') => `sv[sb + ${u(f * U)} + ${k}]`;
  const outTerm = (k: string) =>
    c.returnSequences
      ? `select(0.0, dout[(b * p.steps + p.pos) * ${u(U)} + ${k}], ${field(0, k)} != 0.0)`
      : `select(0.0, dout[row + ${k}], p.aux != 0u && ${field(0, k)} != 0.0)`;
  const dhAt = (k: string) => `let dh = sv[stb + p.src + row + ${k}] + ${outTerm(k)};`;
  const dgAt = (g: number, k = 'm') => `dg[gb + ${u(g * U)} + ${k}]`;
  const kept = (v: string) => `select(0.0, ${v}, keep)`;
  /** `Σ_j src[gb + j] · U[k, j]` over `j < n`, as `acc`. */
  const product = (src: string, from: number, n: number) => `    var acc = 0.0;
    let wrow = k * ${u(GU)};
    for (var j = ${u(from)}; j < ${u(from + n)}; j = j + 1u) {
      acc = acc + ${src}[gb + j] * rk[wrow + j];
    }`;
  const back = (src: string, n: number, local: string) =>
    overUnits(
      c,
      wg,
      'k',
      `${product(src, 0, n)}
    ${dhAt('k')}
    sv[stb + p.dst + row + k] = select(dh, (acc${local}) * ${rm('k')}, keep);`,
    );

  let body: string;
  switch (c.family) {
    case 'simple':
      body = `${overUnits(
        c,
        wg,
        'm',
        `    ${dhAt('m')}
    ${dgAt(0)} = ${kept(`dh * ${dact}(${field(1)})`)};`,
      )}
  storageBarrier();
${back('dg', GU, '')}`;
      break;
    case 'lstm':
      body = `${overUnits(
        c,
        wg,
        'm',
        `    ${dhAt('m')}
    let dc = sv[stb + p.src + nb + row + m];
    let zi = ${field(1)};
    let zf = ${field(2)};
    let zc = ${field(3)};
    let zo = ${field(4)};
    let cp = ${field(5)};
    let ig = ${ract}(zi);
    let fg = ${ract}(zf);
    let cg = ${act}(zc);
    let cn = fg * cp + ig * cg;
    let dct = dc + dh * ${ract}(zo) * ${dact}(cn);
    ${dgAt(0)} = ${kept(`dct * cg * ${dract}(zi)`)};
    ${dgAt(1)} = ${kept(`dct * cp * ${dract}(zf)`)};
    ${dgAt(2)} = ${kept(`dct * ig * ${dact}(zc)`)};
    ${dgAt(3)} = ${kept(`dh * ${act}(cn) * ${dract}(zo)`)};
    sv[stb + p.dst + nb + row + m] = select(dc, dct * fg, keep);`,
      )}
  storageBarrier();
${back('dg', GU, '')}`;
      break;
    case 'gru': {
      const gates = `    ${dhAt('m')}
    let zp = ${field(1)};
    let zh = ${field(3)};
    let zz = ${ract}(zp);
    let dzh = dh * (1.0 - zz) * ${dact}(zh);
    ${dgAt(0)} = ${kept(`dh * (hin[hb + m] - ${act}(zh)) * ${dract}(zp)`)};
    ${dgAt(2)} = ${kept('dzh')};`;
      const local = ` + dh * ${ract}(${field(1, 'k')})`;
      if (c.resetAfter) {
        body = `${overUnits(
          c,
          wg,
          'm',
          `${gates}
    let rp = ${field(2)};
    let dzr = dzh * ${field(4)} * ${dract}(rp);
    ${dgAt(1)} = ${kept('dzr')};
    dgr[gb + m] = ${dgAt(0)};
    dgr[gb + ${u(U)} + m] = ${kept('dzr')};
    dgr[gb + ${u(2 * U)} + m] = ${kept(`dzh * ${ract}(rp)`)};`,
        )}
  storageBarrier();
${back('dgr', GU, local)}`;
      } else {
        // d(r ⊙ h_in) = dẑ·U_hᵀ first (kept in the region after both blocks), then dr from it.
        const dReset = `${u(2 * stateRegions(c))} * nb + row + k`;
        body = `${overUnits(c, wg, 'm', gates)}
  storageBarrier();
${overUnits(
  c,
  wg,
  'k',
  `${product('dg', 2 * U, U)}
    sv[stb + ${dReset}] = acc;
    ${dgAt(1, 'k')} = ${kept(`acc * hin[hb + k] * ${dract}(${field(2, 'k')})`)};`,
)}
  storageBarrier();
${back('dg', 2 * U, `${local} + sv[stb + ${dReset}] * ${ract}(${field(2, 'k')})`)}`;
      }
      break;
    }
  }
  return `${activationsAndDerivativesWgsl([c.activation, c.recurrentActivation])}
${PARAMS}
${declarations(c, backBindings(c), BACK_BINDING.params)}

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
${header(c, `${forwardStateBase(c)} + ${u(forwardStateRegions(c))} * nb`)}
${body}
}
`;
}

/** Bindings of {@link biasSumShader}. */
export const BIAS_SUM_BINDING = { dg: 0, dgr: 1, db: 2, params: 3 } as const;

/** The storage bindings of {@link biasSumShader}, in binding order. */
export function biasSumBindings(c: ShaderConfig): StorageBinding[] {
  const list: StorageBinding[] = [{ binding: BIAS_SUM_BINDING.dg, name: 'dg', write: false }];
  if (c.family === 'gru' && c.resetAfter) {
    list.push({ binding: BIAS_SUM_BINDING.dgr, name: 'dgr', write: false });
  }
  list.push({ binding: BIAS_SUM_BINDING.db, name: 'db', write: true });
  return list;
}

/** Invocations per workgroup of {@link biasSumShader}. */
export const BIAS_SUM_WORKGROUP = 64;

/**
 * The bias gradient: column sums of the gate gradients `dg [rows, G·U]` over all rows, one
 * invocation per column; for GRU with `resetAfter`, also those of `dgr` (the recurrent bias),
 * written after them as the bias's second row. `p.x` holds the row count.
 */
export function biasSumShader(c: ShaderConfig): string {
  const GU = GATE_COUNT[c.family] * c.units;
  const both = c.family === 'gru' && c.resetAfter;
  return `struct Params { x: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> dg: array<f32>;
${both ? '@group(0) @binding(1) var<storage, read> dgr: array<f32>;' : ''}
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(${BIAS_SUM_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= ${u(GU)}) { return; }
  var s = 0.0;
  ${both ? 'var sr = 0.0;' : ''}
  for (var r = 0u; r < p.x; r = r + 1u) {
    s = s + dg[r * ${u(GU)} + j];
    ${both ? `sr = sr + dgr[r * ${u(GU)} + j];` : ''}
  }
  db[j] = s;
  ${both ? `db[${u(GU)} + j] = sr;` : ''}
}
`;
}
