/**
 * The backward kernel body shared by the three families (`<kernel>Grad`): check the call against
 * the contract (@rnnkit/core), allocate the gradients on the wasm heap, then hand the whole call
 * to the WebAssembly module (`assembly/backward.ts`), which runs the forward pass backwards: over
 * the activations the taped forward call kept (`saved.ts`) when there are some, else over a
 * forward pass it recomputes in its scratch.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkSequenceCall,
  checkSequenceGradients,
  GATES,
  sequenceGradKernelName,
  type SequenceKernelName,
} from '@rnnkit/core';
import type { Block } from '../../engine/heap.js';
import { stateFor, type WasmBackendLike } from '../../engine/state.js';
import {
  activationCode,
  align,
  effectiveMask,
  effectiveRecurrentMask,
  familyOf,
  recordCall,
  sequenceFlags,
  writeByteMask,
} from './module_args.js';
import { takeForward } from './saved.js';

/**
 * Runs the backward call of `kernel`. Returns `[dx, dKernel, dRecurrentKernel, dBias,
 * dInitialH]`, plus `dInitialC` for LSTM.
 */
export function runSequenceGrad(
  kernel: SequenceKernelName,
  inputs: NamedTensorInfoMap,
  backend: unknown,
  attrs: NamedAttrMap | undefined,
): TensorInfo[] {
  const wasmBackend = backend as WasmBackendLike;
  const { attrs: a, inputs: p } = checkSequenceCall(kernel, inputs, attrs);
  const { batch, steps, inputDim, units, x, mask, recurrentMask } = p;
  const g = checkSequenceGradients(kernel, inputs, a, { batch, steps });
  const family = familyOf(kernel, a.resetAfter);
  const gu = GATES[kernel] * units;

  const state = stateFor(wasmBackend);
  const ex = state.exports;
  state.beginCall();
  const gradBytes = align(ex.gradScratchBytes(family, batch, steps, inputDim, units));
  // A bool mask is read as is; any other is written as bytes after the module's scratch.
  const byteMask = mask != null && mask.dtype === 'bool' ? mask : null;
  const maskBytes = mask != null && byteMask == null ? align(batch * steps) : 0;
  const state2 = [batch, units];
  const outShapes = [
    [batch, steps, inputDim],
    [inputDim, gu],
    [units, gu],
    p.bias.shape,
    state2,
    ...(g.dC != null ? [state2] : []),
  ];
  const frame = state.frame(
    [
      x,
      p.kernel,
      p.recurrentKernel,
      p.bias,
      p.initialH,
      p.initialC,
      byteMask,
      recurrentMask,
      g.dOutput,
      g.dH,
      g.dC,
    ],
    outShapes,
    gradBytes + maskBytes,
  );
  let outputs: TensorInfo[];
  let saved: Block | null = null;
  try {
    const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr, dOutPtr, dHPtr, dCPtr] =
      frame.inputs;
    let maskPtr = byteMaskPtr;
    if (mask != null && byteMask == null) {
      maskPtr = frame.scratch + gradBytes;
      writeByteMask(state, mask, batch * steps, maskPtr);
    }
    const [dxPtr, dWPtr, dUPtr, dbPtr, dh0Ptr, dc0Ptr] = frame.outputs;
    // Activations of the taped forward call, where it ran with the same inputs and shapes.
    saved = takeForward(kernel, inputs, attrs);
    if (saved != null && saved.bytes !== ex.gradSavedBytes(family, batch, steps, inputDim, units)) {
      state.releaseBlock(saved);
      saved = null;
    }
    ex.sequenceGrad(
      family,
      batch,
      steps,
      inputDim,
      units,
      xPtr,
      wPtr,
      uPtr,
      bPtr,
      h0Ptr,
      c0Ptr,
      effectiveMask(state, maskPtr, batch * steps),
      effectiveRecurrentMask(state, rmPtr, batch * units),
      dOutPtr,
      dHPtr,
      dCPtr,
      dxPtr,
      dWPtr,
      dUPtr,
      dbPtr,
      dh0Ptr,
      dc0Ptr ?? 0,
      frame.scratch,
      sequenceFlags(a),
      activationCode(a.activation),
      activationCode(a.recurrentActivation),
      saved?.pointer ?? 0,
    );
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    throw e;
  } finally {
    if (saved != null) state.releaseBlock(saved);
  }
  recordCall(sequenceGradKernelName(kernel), false);
  return outputs;
}
