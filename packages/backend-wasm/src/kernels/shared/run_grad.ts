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
import { gradCall, stageGradCall } from './grad_call.js';
import { callOptions, forwardInputs, recordCall } from './module_args.js';
import { takeForwardOfSize } from './saved.js';

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
  const call = checkSequenceCall(kernel, inputs, attrs);
  const { batch, steps, inputDim, units, bias } = call.inputs;
  const g = checkSequenceGradients(kernel, inputs, call.attrs, { batch, steps });
  const gu = GATES[kernel] * units;

  const state = stateFor(backend as WasmBackendLike);
  state.beginCall();
  const c = gradCall(state, kernel, call);
  const state2 = [batch, units];
  const outShapes = [
    [batch, steps, inputDim],
    [inputDim, gu],
    [units, gu],
    bias.shape,
    state2,
    ...(g.dC != null ? [state2] : []),
  ];
  const forward = forwardInputs(c.call.inputs, c.mask);
  const frame = state.frame([...forward, g.dOutput, g.dH, g.dC], outShapes, c.frameBytes);
  let outputs: TensorInfo[];
  let saved: Block | null = null;
  try {
    const leading = stageGradCall(state, c, frame.scratch, frame.inputs);
    const [dOutPtr, dHPtr, dCPtr] = frame.inputs.slice(forward.length);
    const [dxPtr, dWPtr, dUPtr, dbPtr, dh0Ptr, dc0Ptr] = frame.outputs;
    // Activations of the taped forward call, where it ran with the same inputs and shapes.
    saved = takeForwardOfSize(state, kernel, inputs, attrs, c.savedBytes);
    // prettier-ignore
    (state.exports.sequenceGrad as (...values: number[]) => void)(
      ...leading,
      dOutPtr, dHPtr, dCPtr,
      dxPtr, dWPtr, dUPtr, dbPtr, dh0Ptr, dc0Ptr ?? 0,
      ...callOptions(call.attrs, frame.scratch),
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
