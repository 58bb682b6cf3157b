/**
 * Fused backward ConvLSTM (1, 2 or 3 spatial axes) for the tfjs `wasm` backend
 * (`RnnkitConvLSTMSequenceGrad`): checks the call as the forward kernel does, stages the
 * geometry tables beside the module's scratch and hands the whole call to the WebAssembly module
 * (`assembly/conv_lstm_backward.ts`), which runs the forward pass backwards: over the activations
 * the taped forward call kept (`shared/saved.ts`) when there are some, else over a forward pass
 * it recomputes in its scratch. With worker threads, a call with several batch items splits them
 * between threads as the forward kernel does; their weight gradients are summed after the call.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { checkConvLSTMCall, ConvLSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import type { Block } from '../engine/heap.js';
import { stateFor, type WasmBackendLike } from '../engine/state.js';
import { convGradCall, stageConvGradCall } from './shared/conv_grad_call.js';
import { checkConvLSTMGradients } from './shared/conv_lstm_gradients.js';
import {
  activationCode,
  effectiveMask,
  effectiveRecurrentMask,
  recordCall,
  sequenceFlags,
} from './shared/module_args.js';
import { takeForward } from './shared/saved.js';

/**
 * Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]` of a
 * ConvLSTM call from the gradients of its outputs.
 */
export const convLSTMSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const call = checkConvLSTMCall(inputs, attrs);
  const g = checkConvLSTMGradients(inputs, call);
  const { batch, steps, filters, x } = call;
  const state = stateFor(backend as WasmBackendLike);
  const ex = state.exports;
  state.beginCall();
  const c = convGradCall(state, call);
  const stateShape = [batch, ...call.outSpatial, filters];
  const frame = state.frame(
    [
      x,
      call.kernel,
      call.recurrentKernel,
      call.bias,
      call.initialH,
      call.initialC,
      c.byteMask,
      call.recurrentMask,
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
    c.frameBytes,
  );
  let outputs: TensorInfo[];
  let saved: Block | null = null;
  try {
    const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr, dOutPtr, dHPtr, dCPtr] =
      frame.inputs;
    const [inSource, recSource, maskPtr] = stageConvGradCall(
      state,
      call,
      c,
      frame.scratch,
      byteMaskPtr,
    );
    // Activations of the taped forward call, where it ran with the same inputs and shapes.
    saved = takeForward(ConvLSTMSequence, inputs, attrs);
    if (saved != null && saved.bytes !== c.savedBytes) {
      state.releaseBlock(saved);
      saved = null;
    }
    const [dxPtr, dWPtr, dUPtr, dbPtr, dh0Ptr, dc0Ptr] = frame.outputs;
    const savedPtr = saved?.pointer ?? 0;
    const args = [
      ...c.sizes,
      xPtr,
      inSource,
      recSource,
      wPtr,
      uPtr,
      bPtr,
      h0Ptr,
      c0Ptr,
      effectiveMask(state, maskPtr, batch * steps),
      effectiveRecurrentMask(state, rmPtr, batch * c.positions * filters),
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
      sequenceFlags(call.attrs),
      activationCode(call.attrs.activation),
      activationCode(call.attrs.recurrentActivation),
      savedPtr,
    ];
    if (c.threads > 1) {
      state.pool!.run(args, c.threads, 'convLSTMGrad');
      // prettier-ignore
      ex.convLSTMGradReduce(batch, steps, filters, c.positions, ...c.depths, frame.scratch, savedPtr, c.threads, dWPtr, dUPtr, dbPtr);
    } else {
      (ex.convLSTMGrad as (...values: number[]) => void)(...args, 0, 1, 0, 0);
    }
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    throw e;
  } finally {
    if (saved != null) state.releaseBlock(saved);
  }
  recordCall(sequenceGradKernelName(ConvLSTMSequence), c.threads > 1);
  return outputs;
};

/** The wasm registration of the ConvLSTM backward kernel. */
export const convLSTMSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(ConvLSTMSequence),
  backendName: 'wasm',
  kernelFunc: convLSTMSequenceGrad,
};
