/** Reference kernels by name: the oracle every backend kernel is tested against, and the fallback. */
import type * as tf from '@tensorflow/tfjs-core';
import {
  GRUSequence,
  LSTMSequence,
  SimpleRNNSequence,
  type SequenceKernelAttrsMap,
  type SequenceKernelInputs,
  type SequenceKernelName,
} from '../contract.js';
import { gruSequenceReference } from './gru.js';
import { lstmSequenceReference } from './lstm.js';
import { simpleRNNSequenceReference } from './simple_rnn.js';

/** A reference kernel: inputs and attrs as in the contract, outputs `[output, ...states]`. */
export type ReferenceKernel<N extends SequenceKernelName> = (
  inputs: SequenceKernelInputs,
  attrs: SequenceKernelAttrsMap[N],
) => tf.Tensor[];

/** The reference kernels, keyed by kernel name. */
export const referenceKernels: { [N in SequenceKernelName]: ReferenceKernel<N> } = {
  [SimpleRNNSequence]: simpleRNNSequenceReference,
  [LSTMSequence]: lstmSequenceReference,
  [GRUSequence]: gruSequenceReference,
};

export { gruSequenceReference, lstmSequenceReference, simpleRNNSequenceReference };
