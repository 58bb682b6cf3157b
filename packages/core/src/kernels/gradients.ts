/**
 * The forward sequence kernels' gradients: one tfjs gradient registration per kernel name,
 * whose gradient function runs the backward kernel of the contract (`<kernel>Grad`, see
 * `./contract.ts`): fused when the active backend registers it, else core's reference. With
 * them registered, a fused forward kernel may run while a gradient is being recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  differentiableInputs,
  outputGradNames,
  SEQUENCE_KERNEL_NAMES,
  sequenceGradKernelName,
  type SequenceKernelAttrsMap,
  type SequenceKernelInputs,
  type SequenceKernelName,
} from './contract.js';
import { countDispatch } from './stats.js';
import { sequenceBackwardReference } from './reference/backward.js';

/**
 * Every input of a forward call on a tape, in the order its gradient saves them. The dispatcher
 * passes them all (`mask` and `recurrentMask` filled in), since tfjs saves inputs by name.
 */
export function tapedInputNames(name: SequenceKernelName): (keyof SequenceKernelInputs)[] {
  return [...differentiableInputs(name), 'mask', 'recurrentMask'];
}

/** Runs the backward kernel of `name`: fused when registered on the active backend. */
export function runSequenceBackward<N extends SequenceKernelName>(
  name: N,
  inputs: SequenceKernelInputs,
  dys: tf.Tensor[],
  attrs: SequenceKernelAttrsMap[N],
): tf.Tensor[] {
  const gradName = sequenceGradKernelName(name);
  if (tf.getKernel(gradName, tf.getBackend()) != null) {
    countDispatch(gradName, 'fused');
    const named: tf.NamedTensorMap = {};
    for (const [key, value] of Object.entries(inputs)) if (value != null) named[key] = value;
    outputGradNames(name).forEach((key, i) => (named[key] = dys[i]));
    const out = tf.engine().runKernel(gradName, named, attrs as unknown as tf.NamedAttrMap);
    return out as tf.Tensor[];
  }
  countDispatch(gradName, 'reference');
  return sequenceBackwardReference(name, inputs, dys, attrs);
}

function gradConfig(name: SequenceKernelName): tf.GradConfig {
  const saved = tapedInputNames(name);
  const differentiable = differentiableInputs(name);
  return {
    kernelName: name,
    inputsToSave: saved,
    gradFunc: (dy, savedTensors, attrs) => {
      const inputs: SequenceKernelInputs = Object.fromEntries(
        saved.map((key, i) => [key, savedTensors[i]]),
      ) as unknown as SequenceKernelInputs;
      const dys = Array.isArray(dy) ? dy : [dy];
      const grads = runSequenceBackward(name, inputs, dys, attrs as never);
      const result: Record<string, () => tf.Tensor> = {};
      differentiable.forEach((key, i) => (result[key] = () => grads[i]));
      // Masks are constants; tfjs still asks every input for a float32 gradient.
      result.mask = () => tf.zeros(inputs.mask?.shape ?? []);
      result.recurrentMask = () => tf.zerosLike(inputs.recurrentMask as tf.Tensor);
      return result;
    },
  };
}

/** True once every sequence kernel has its gradient registered. */
export function sequenceGradientsRegistered(): boolean {
  return SEQUENCE_KERNEL_NAMES.every((name) => tf.getGradient(name) != null);
}

/** Registers the sequence kernels' gradients that are not registered yet (no warnings). */
export function registerSequenceGradients(): void {
  for (const name of SEQUENCE_KERNEL_NAMES) {
    if (tf.getGradient(name) == null) tf.registerGradient(gradConfig(name));
  }
}
