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
import {
  checkConvLSTMCall,
  checkConvLSTMGradients,
  ConvLSTMSequence,
  sequenceGradKernelName,
} from '@rnnkit/core';
import type { Block } from '../engine/heap.js';
import { stateFor, type WasmBackendLike } from '../engine/state.js';
import { convGradCall, stageConvGradCall } from './shared/conv_grad_call.js';
import { callOptions, forwardInputs, recordCall, runOnThreads } from './shared/module_args.js';
import { takeForwardOfSize } from './shared/saved.js';

/**
 * Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]` of a
 * ConvLSTM call from the gradients of its outputs.
 */
export const convLSTMSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const call = checkConvLSTMCall(inputs, attrs);
  const g = checkConvLSTMGradients(call, inputs);
  const { batch, steps, filters, x } = call;
  const state = stateFor(backend as WasmBackendLike);
  state.beginCall();
  const c = convGradCall(state, call);
  const forward = forwardInputs(c.call, c.mask);
  const frame = state.frame(
    [...forward, g.dOutput, g.dH, g.dC],
    [
      x.shape,
      call.kernel.shape,
      call.recurrentKernel.shape,
      call.bias.shape,
      c.stateShape,
      c.stateShape,
    ],
    c.frameBytes,
  );
  let outputs: TensorInfo[];
  let saved: Block | null = null;
  try {
    const leading = stageConvGradCall(state, c, frame.scratch, frame.inputs);
    const [dOutPtr, dHPtr, dCPtr] = frame.inputs.slice(forward.length);
    // Activations of the taped forward call, where it ran with the same inputs and shapes.
    saved = takeForwardOfSize(state, ConvLSTMSequence, inputs, attrs, c.savedBytes);
    const [, dWPtr, dUPtr, dbPtr] = frame.outputs;
    const savedPtr = saved?.pointer ?? 0;
    const args = [
      ...leading,
      dOutPtr,
      dHPtr,
      dCPtr,
      ...frame.outputs,
      ...callOptions(call.attrs, frame.scratch),
      savedPtr,
    ];
    runOnThreads(state, 'convLSTMGrad', args, c.threads);
    if (c.threads > 1) {
      // prettier-ignore
      state.exports.convLSTMGradReduce(batch, steps, filters, c.positions, ...c.depths, frame.scratch, savedPtr, c.threads, dWPtr, dUPtr, dbPtr);
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
