/**
 * Checks a sequence kernel call against the kernel contract (@rnnkit/core) and derives the shader
 * configuration it implies.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkSequenceCall,
  invalidShape,
  type CheckedSequenceAttrs,
  type CheckedSequenceInputs,
  type SequenceKernelName,
} from '@rnnkit/core';
import type { Family, ShaderConfig } from './wgsl.js';

/** Validated inputs, sizes and the shader configuration they imply. */
export interface CheckedCall extends CheckedSequenceInputs<TensorInfo> {
  config: ShaderConfig;
  attrs: CheckedSequenceAttrs;
}

/** Validates a call of `kernelName` (of `family`) and derives its shader configuration. */
export function checkCall(
  kernelName: SequenceKernelName,
  family: Family,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): CheckedCall {
  const { attrs: a, inputs: p } = checkSequenceCall(kernelName, inputs, attrs);
  // A limit of this backend, beyond the contract.
  if (p.inputDim < 1) invalidShape(`${kernelName}: x`, 'at least one feature', p.x.shape);
  let mask: ShaderConfig['mask'] = 'none';
  if (p.mask != null) mask = p.mask.dtype === 'float32' ? 'f32' : 'i32';
  const config: ShaderConfig = {
    family,
    units: a.units,
    activation: a.activation,
    recurrentActivation: a.recurrentActivation ?? a.activation,
    resetAfter: a.resetAfter,
    goBackwards: a.goBackwards,
    returnSequences: a.returnSequences,
    alignToInput: a.alignToInput,
    zeroOutputForMask: a.zeroOutputForMask,
    mask,
    recurrentMask: p.recurrentMask != null,
  };
  return { ...p, config, attrs: a };
}
