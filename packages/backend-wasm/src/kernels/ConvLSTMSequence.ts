/**
 * Fused whole-sequence ConvLSTM (1, 2 or 3 spatial axes, channels last) for the tfjs `wasm`
 * backend, Keras gate order `i, f, c, o`.
 *
 * Both convolutions are packed GEMMs over patches inside rnnkit's WebAssembly module
 * (`assembly/conv_lstm.ts`): per step and image, in blocks of positions, the input convolution
 * (bias included) and the recurrent convolution of `h` (`same`, stride 1), each block's gates and
 * state update right after its products. Weights are packed once per weight set as LSTM's
 * (`kernel [...K, C, 4·F]` is already the `[K·C, 4·F]` right operand of the patches); the
 * geometry goes in as tables of source positions per tap. A 3×3 recurrent kernel over 2D images
 * with {@link WINOGRAD_MIN_FILTERS} or more filters runs as Winograd's F(2×2, 3×3) instead
 * (`assembly/winograd.ts`, its transformed kernel packed once per weight set too): the image's
 * recurrent gate rows first, then the blocks.
 *
 * With worker threads (`setThreads`), a call with several batch items splits them between
 * threads, which never wait for each other: each runs its items' whole sequence.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkConvLSTMCall,
  convLSTMGeometry,
  ConvLSTMSequence,
  convSourceTable,
  isWinograd3x3,
  type ConvGeometry,
} from '@rnnkit/core';
import { stateFor, type BackendState, type WasmBackendLike } from '../engine/state.js';
import {
  align,
  callOptions,
  recordCall,
  recordWinogradCall,
  runOnThreads,
  stageStepMask,
  stepMask,
} from './shared/module_args.js';
import { runConvLSTMRecording } from './shared/conv_lstm_recording.js';
import { convThreadsFor } from './shared/conv_threads.js';
import { recordingGradients } from './shared/saved.js';

/** The module's family code whose bias layout ConvLSTM shares (LSTM's `[4·F]`). */
const LSTM_BIAS = 1;
/** ConvLSTM's gate blocks, `i, f, c, o`. */
const GATES = 4;

/**
 * Filters from which the recurrent convolution runs as Winograd's F(2×2, 3×3): its depth is
 * `filters`, and below 8 the 16 products per tile are too thin for the GEMM to gain from them.
 */
const WINOGRAD_MIN_FILTERS = 8;

/**
 * The image width with which the module runs the recurrent convolution `g` of `filters` filters
 * as Winograd's F(2×2, 3×3): a 3×3 kernel, stride 1, dilation 1, over images one deep (so 2D);
 * else 0 (the patch GEMM).
 */
function winogradWidth(g: ConvGeometry, filters: number): number {
  if (filters < WINOGRAD_MIN_FILTERS || !isWinograd3x3(g)) return 0;
  if (g.padBefore[1] !== 1 || g.padBefore[2] !== 1) return 0;
  return g.outSize[2];
}

/** Packed `[taps·channels, 4·F]` weights of `tensor` (a kernel `[...K, channels, 4·F]`). */
function packedKernel(
  state: BackendState,
  tensor: TensorInfo,
  role: string,
  filters: number,
): number {
  const ex = state.exports;
  const rows = tensor.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return state.packedWeights(
    tensor,
    `conv-${role}:${filters}`,
    rows * ex.packedCols(GATES, filters) * 4,
    (dst, src) => ex.packMatrix(src, rows, GATES * filters, 0, GATES, filters, dst),
  );
}

/** {@link winogradWidth}'s transformed 3×3 recurrent kernel (`packWinograd`) of `tensor`. */
function winogradKernel(state: BackendState, tensor: TensorInfo, filters: number): number {
  const ex = state.exports;
  return state.packedWeights(
    tensor,
    `conv-winograd:${filters}`,
    16 * filters * ex.packedCols(GATES, filters) * 4,
    (dst, src) => ex.packWinograd(src, filters, dst),
  );
}

/**
 * Runs the ConvLSTM; returns `[output, h, c]`. On a gradient tape, the forward half of the
 * backward kernel runs instead, keeping its activations for the backward call.
 */
export const convLSTMSequence: KernelFunc = ({ inputs, backend, attrs }) => {
  if (recordingGradients()) return runConvLSTMRecording(inputs, backend, attrs);
  const call = checkConvLSTMCall(inputs, attrs);
  const { attrs: a, batch, steps, channels, filters, x, mask, recurrentMask } = call;
  const geometry = convLSTMGeometry(call);
  const inTable = convSourceTable(geometry.input);
  const recTable = convSourceTable(geometry.recurrent);
  const { positions } = inTable;
  const frameSize = call.spatial.reduce((n, d) => n * d, channels);

  const state = stateFor(backend as WasmBackendLike);
  const ex = state.exports;
  state.beginCall();
  const wk = packedKernel(state, call.kernel, 'kernel', filters);
  const width = winogradWidth(geometry.recurrent, filters);
  const wr = width === 0 ? packedKernel(state, call.recurrentKernel, 'recurrent', filters) : 0;
  const wu = width === 0 ? 0 : winogradKernel(state, call.recurrentKernel, filters);
  const recDepth = recTable.taps * filters;
  const threads = convThreadsFor(state, batch, batch * positions * recDepth * GATES * filters);

  // Scratch: the module's buffers, the packed bias, both tables, and a byte mask when the mask
  // is not bool (a bool mask is read as is).
  const convBytes = align(
    ex.convScratchBytes(
      batch,
      positions,
      filters,
      inTable.taps * channels,
      recDepth,
      width,
      threads,
    ),
  );
  const biasBytes = align(ex.packedCols(GATES, filters) * 4);
  const inTableBytes = align(inTable.source.byteLength);
  const recTableBytes = align(recTable.source.byteLength);
  const m = stepMask(mask, batch * steps);
  const stateShape = [batch, ...call.outSpatial, filters];
  const outShape = a.returnSequences ? [batch, steps, ...call.outSpatial, filters] : stateShape;
  const frame = state.frame(
    [x, call.initialH, call.initialC, call.bias, m.byteMask, recurrentMask],
    [outShape, stateShape, stateShape],
    convBytes + biasBytes + inTableBytes + recTableBytes + m.bytes,
  );
  let outputs: TensorInfo[];
  try {
    const [xPtr, h0Ptr, c0Ptr, biasPtr, byteMaskPtr, recurrentMaskPtr] = frame.inputs;
    const bx = frame.scratch + convBytes;
    const inSource = bx + biasBytes;
    const recSource = inSource + inTableBytes;
    const maskPtr = stageStepMask(state, m, byteMaskPtr, recSource + recTableBytes);
    const memory = state.bytes();
    new Int32Array(memory.buffer, inSource, inTable.source.length).set(inTable.source);
    new Int32Array(memory.buffer, recSource, recTable.source.length).set(recTable.source);
    ex.packBias(LSTM_BIAS, biasPtr, filters, bx, 0);

    const [outPtr, hPtr, cPtr] = frame.outputs;
    const args = [
      batch,
      steps,
      channels,
      filters,
      frameSize,
      positions,
      inTable.taps,
      recTable.taps,
      xPtr,
      inSource,
      recSource,
      wk,
      bx,
      wr,
      wu,
      width,
      h0Ptr,
      c0Ptr,
      maskPtr,
      recurrentMaskPtr,
      outPtr,
      hPtr,
      cPtr,
      ...callOptions(a, frame.scratch),
    ];
    runOnThreads(state, 'convLSTM', args, threads);
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    throw e;
  }
  recordCall(ConvLSTMSequence, threads > 1);
  if (width !== 0) recordWinogradCall();
  return outputs;
};

/** The wasm registration of {@link ConvLSTMSequence}. */
export const convLSTMSequenceConfig: KernelConfig = {
  kernelName: ConvLSTMSequence,
  backendName: 'wasm',
  kernelFunc: convLSTMSequence,
};
