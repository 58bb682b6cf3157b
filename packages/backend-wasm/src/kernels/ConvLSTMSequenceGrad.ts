/**
 * Fused backward ConvLSTM (1, 2 or 3 spatial axes) for the tfjs `wasm` backend
 * (`RnnkitConvLSTMSequenceGrad`): checks the call as the forward kernel does, stages the
 * geometry tables beside the module's scratch and hands the whole call to the WebAssembly module
 * (`assembly/conv_lstm_backward.ts`), which recomputes the forward pass and runs it backwards.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkConvLSTMCall,
  convLSTMGeometry,
  ConvLSTMSequence,
  convSourceTable,
  sequenceGradKernelName,
} from '@rnnkit/core';
import { stateFor, type WasmBackendLike } from '../engine/state.js';
import {
  activationCode,
  align,
  effectiveMask,
  effectiveRecurrentMask,
  recordCall,
  sequenceFlags,
  writeByteMask,
} from './shared/module_args.js';
import { checkConvLSTMGradients } from './shared/conv_lstm_gradients.js';

/**
 * Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]` of a
 * ConvLSTM call from the gradients of its outputs.
 */
export const convLSTMSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const call = checkConvLSTMCall(inputs, attrs);
  const g = checkConvLSTMGradients(inputs, call);
  const { attrs: a, batch, steps, channels, filters, x, mask, recurrentMask } = call;
  const geometry = convLSTMGeometry(call);
  const inTable = convSourceTable(geometry.input);
  const recTable = convSourceTable(geometry.recurrent);
  const { positions } = inTable;
  const frameSize = call.spatial.reduce((n, d) => n * d, channels);
  const stateSize = batch * positions * filters;

  const state = stateFor(backend as WasmBackendLike);
  const ex = state.exports;
  state.beginCall();
  const gradBytes = align(
    ex.convGradScratchBytes(
      batch,
      steps,
      filters,
      positions,
      inTable.taps * channels,
      recTable.taps * filters,
    ),
  );
  const inTableBytes = align(inTable.source.byteLength);
  const recTableBytes = align(recTable.source.byteLength);
  // A bool mask is read as is; any other is written as bytes after the tables.
  const byteMask = mask != null && mask.dtype === 'bool' ? mask : null;
  const maskBytes = mask != null && byteMask == null ? align(batch * steps) : 0;
  const stateShape = [batch, ...call.outSpatial, filters];
  const frame = state.frame(
    [
      x,
      call.kernel,
      call.recurrentKernel,
      call.bias,
      call.initialH,
      call.initialC,
      byteMask,
      recurrentMask,
      g.dOutput,
      g.dH,
      g.dC,
    ],
    [
      x.shape,
      call.kernel.shape,
      call.recurrentKernel.shape,
      call.bias.shape,
      stateShape,
      stateShape,
    ],
    gradBytes + inTableBytes + recTableBytes + maskBytes,
  );
  let outputs: TensorInfo[];
  try {
    const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr, dOutPtr, dHPtr, dCPtr] =
      frame.inputs;
    const inSource = frame.scratch + gradBytes;
    const recSource = inSource + inTableBytes;
    let maskPtr = byteMaskPtr;
    if (mask != null && byteMask == null) {
      maskPtr = recSource + recTableBytes;
      writeByteMask(state, mask, batch * steps, maskPtr);
    }
    const memory = state.bytes();
    new Int32Array(memory.buffer, inSource, inTable.source.length).set(inTable.source);
    new Int32Array(memory.buffer, recSource, recTable.source.length).set(recTable.source);
    const [dxPtr, dWPtr, dUPtr, dbPtr, dh0Ptr, dc0Ptr] = frame.outputs;
    ex.convLSTMGrad(
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
      wPtr,
      uPtr,
      bPtr,
      h0Ptr,
      c0Ptr,
      effectiveMask(state, maskPtr, batch * steps),
      effectiveRecurrentMask(state, rmPtr, stateSize),
      dOutPtr,
      dHPtr,
      dCPtr,
      dxPtr,
      dWPtr,
      dUPtr,
      dbPtr,
      dh0Ptr,
      dc0Ptr,
      frame.scratch,
      sequenceFlags(a),
      activationCode(a.activation),
      activationCode(a.recurrentActivation),
    );
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    throw e;
  }
  recordCall(sequenceGradKernelName(ConvLSTMSequence), false);
  return outputs;
};

/** The wasm registration of the ConvLSTM backward kernel. */
export const convLSTMSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(ConvLSTMSequence),
  backendName: 'wasm',
  kernelFunc: convLSTMSequenceGrad,
};
