/**
 * What the ConvLSTM forward kernels share (the plain one and the one that keeps its activations
 * for the backward kernel): checking the call, the input convolution of every step hoisted into
 * one pass, and the time loop with one recurrent convolution per step and row.
 *
 * The spatial axes are handled as three (depth, height, width), leading ones of size 1 for
 * ConvLSTM1D/2D (core's `convLSTMGeometry`); positions are flattened, so a row's state is
 * `positions·F` values and the time loop sees it as that many units.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  checkConvLSTMCall,
  convLSTMGeometry,
  convSourceTable,
  type CheckedConvLSTMCall,
  type ConvGeometry,
  type ConvLSTMSequenceAttrs,
  type ConvSourceTable,
} from '@rnnkit/core';
import { convProduct } from './conv_patches.js';
import { PANEL } from './gemm.js';
import type { MaskValues, SequenceProblem } from './inputs.js';
import { runTimeLoop } from './sequence.js';
import {
  beginKernelCall,
  cachedPacking,
  packedWeights,
  padColumns,
  type PackedWeights,
} from './weights.js';
import { packWinogradKernel, winogradConv, winogradPlan, type WinogradPlan } from './winograd.js';

/**
 * Filters from which the recurrent convolution runs as Winograd's F(2×2, 3×3) (the depth of its
 * products): on the bench's 32×32 frames it took 1.05× less time at 8 filters, 1.38× at 16 and
 * 1.6× at 32; at 4 the transforms cost what the products save.
 */
const WINOGRAD_MIN_FILTERS = 8;

/**
 * How a run computes its recurrent convolution: with a 3×3 kernel of
 * {@link WINOGRAD_MIN_FILTERS} or more filters, Winograd's F(2×2, 3×3) over the transformed
 * kernel (`./winograd.ts`); else patches (im2col) times the packed kernel. Only the kernel the
 * run uses is packed.
 */
export type RecurrentConvolution =
  | { plan: WinogradPlan; kernel: PackedWeights; table?: undefined }
  | { plan?: undefined; kernel: PackedWeights; table: ConvSourceTable };

/** A checked ConvLSTM call with its convolutions prepared and every step's input convolution. */
export interface ConvLSTMRun {
  call: CheckedConvLSTMCall<TensorInfo>;
  attrs: ConvLSTMSequenceAttrs;
  /** F. */
  filters: number;
  /** Output positions of the input convolution (= positions of a state). */
  positions: number;
  /** `positions·F`. */
  stateSize: number;
  /** Values of one input frame (`[...S, C]`). */
  frameSize: number;
  geometry: { input: ConvGeometry; recurrent: ConvGeometry };
  inTable: ConvSourceTable;
  recurrent: RecurrentConvolution;
  /** Row length of `xw`: the 4F gate columns padded to whole panels. */
  ld: number;
  /**
   * Every step's gate inputs `[T·B·positions, ld]`, rows ordered `(t, b, position)` so that the
   * rows of one step are contiguous: the input convolution with the bias, to which each step
   * adds its recurrent convolution in place. Scratch, valid until the next kernel call.
   */
  xw: Float32Array;
  /** The problem the time loop runs (states copied, updated in place). */
  problem: SequenceProblem;
}

/**
 * Input projections up to this many values (4 MiB) reuse one buffer across calls, as the other
 * kernels' do: a fresh one costs page faults and garbage collection on every call.
 */
const SCRATCH_REUSE_LIMIT = 1 << 20;
let scratch = new Float32Array(0);

/** A buffer of `length` values with unspecified contents, valid until the next call. */
function projectionBuffer(length: number): Float32Array {
  if (length > SCRATCH_REUSE_LIMIT) return new Float32Array(length);
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch.subarray(0, length);
}

/** Checks a ConvLSTM call, packs its weights and runs the input convolution of every step. */
export function startConvLSTM(
  cpu: MathBackendCPU,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
): ConvLSTMRun {
  const call = checkConvLSTMCall<TensorInfo>(inputs, attrs);
  const { batch, steps, spatial, channels } = call;
  const f = call.filters;
  const gates = 4 * f;
  const values = <V>(info: TensorInfo): V => cpu.data.get(info.dataId).values as unknown as V;

  const geometry = convLSTMGeometry(call);
  const inTable = convSourceTable(geometry.input);
  const positions = inTable.positions;
  const stateSize = positions * f;

  beginKernelCall();
  const kernelValues = values<Float32Array>(call.kernel);
  const recurrentValues = values<Float32Array>(call.recurrentKernel);
  const segments = [gates];
  const kernel = packedWeights(cpu, call.kernel, kernelValues, inTable.taps * channels, segments);
  const plan = f >= WINOGRAD_MIN_FILTERS ? winogradPlan(geometry.recurrent) : null;
  let recurrent: RecurrentConvolution;
  if (plan != null) {
    const pack = (): PackedWeights => packWinogradKernel(recurrentValues, f, gates);
    recurrent = {
      plan,
      kernel: cachedPacking(cpu, call.recurrentKernel, recurrentValues, 'winograd', pack),
    };
  } else {
    const table = convSourceTable(geometry.recurrent);
    const depth = table.taps * f;
    const kernel = packedWeights(cpu, call.recurrentKernel, recurrentValues, depth, segments);
    recurrent = { table, kernel };
  }
  const ld = PANEL * kernel.panels;
  const bias = padColumns(values<Float32Array>(call.bias), 0, kernel, segments);

  // The input convolution of every frame, rows ordered (t, b, position).
  const x = values<Float32Array>(call.x);
  const frameSize = spatial.reduce((n, d) => n * d, channels);
  const stepRows = batch * positions;
  const xw = projectionBuffer(steps * stepRows * ld); // every value is written below
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const frame = (b * steps + t) * frameSize;
      const out = (t * stepRows + b * positions) * ld;
      convProduct(
        inTable,
        kernel,
        channels,
        x,
        frame,
        frameSize,
        0,
        positions,
        bias,
        0,
        0,
        xw,
        out,
        ld,
      );
    }
  }

  const problem: SequenceProblem = {
    batch,
    steps,
    inputDim: channels,
    units: stateSize, // the time loop sees a row's whole state as its units
    x,
    kernel: kernelValues,
    recurrentKernel: recurrentValues,
    bias: values<Float32Array>(call.bias),
    h: values<Float32Array>(call.initialH).slice(),
    c: values<Float32Array>(call.initialC).slice(),
    mask: call.mask == null ? null : values<MaskValues>(call.mask),
    recurrentMask: call.recurrentMask == null ? null : values<Float32Array>(call.recurrentMask),
  };
  return {
    call,
    attrs: call.attrs,
    filters: f,
    positions,
    stateSize,
    frameSize,
    geometry,
    inTable,
    recurrent,
    ld,
    xw,
    problem,
  };
}

/**
 * The gates and state update of row `b` at input time `t`, whose gate inputs (recurrent
 * convolution added) are the `positions` rows of `xw` from `zOff` and whose states start at
 * `b·stateSize` in `problem.h` and `problem.c`; `hIn` holds `h_{t−1}` as it entered the
 * recurrent convolution.
 */
export type ConvLSTMCellUpdate = (t: number, b: number, zOff: number, hIn: Float32Array) => void;

/**
 * Runs the time loop: per step and taken row, the recurrent convolution of `h ⊙ recurrentMask`
 * added onto the step's rows of `xw` (as Winograd's F(2×2, 3×3) where the run has a plan for it),
 * then `update`. Returns the output values.
 */
export function runConvLSTM(run: ConvLSTMRun, update: ConvLSTMCellUpdate): Float32Array {
  const { problem, recurrent, filters, positions, stateSize, ld, xw } = run;
  const { batch, h } = problem;
  const rm = problem.recurrentMask;
  const hIn = rm == null ? h : new Float32Array(h.length);
  const stepRows = batch * positions;
  return runTimeLoop(problem, run.attrs, (t, active) => {
    if (rm != null) for (let i = 0; i < h.length; i++) hIn[i] = h[i] * rm[i];
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zOff = (t * stepRows + b * positions) * ld;
      // The recurrent convolution of image b of hIn, added onto the step's input rows in place.
      const src = b * stateSize;
      if (recurrent.plan != null) {
        winogradConv(
          recurrent.plan,
          recurrent.kernel,
          filters,
          4 * filters,
          hIn,
          src,
          xw,
          zOff,
          ld,
        );
      } else {
        convProduct(
          recurrent.table,
          recurrent.kernel,
          filters,
          hIn,
          src,
          stateSize,
          0,
          positions,
          xw,
          zOff,
          ld,
          xw,
          zOff,
          ld,
        );
      }
      update(t, b, zOff, hIn);
    }
  });
}

/** The kernel's outputs `[output, h, c]` with their spatial shapes. */
export function convLSTMOutputs(
  cpu: MathBackendCPU,
  run: ConvLSTMRun,
  output: Float32Array,
): TensorInfo[] {
  const { batch, steps, outSpatial } = run.call;
  const stateShape = [batch, ...outSpatial, run.filters];
  const outShape = run.attrs.returnSequences
    ? [batch, steps, ...outSpatial, run.filters]
    : stateShape;
  return [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo(stateShape, 'float32', run.problem.h),
    cpu.makeTensorInfo(stateShape, 'float32', run.problem.c as Float32Array),
  ];
}
