/** Reference kernels by name: the oracle every backend kernel is tested against, and the fallback. */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTMSequence,
  GRUSequence,
  LSTMSequence,
  SimpleRNNSequence,
  type SequenceKernelAttrsMap,
  type SequenceKernelInputs,
  type SequenceKernelName,
} from '../contract.js';
import { convLSTMSequenceReference } from './conv_lstm.js';
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
  [ConvLSTMSequence]: convLSTMSequenceReference,
};

export {
  convLSTMSequenceReference,
  gruSequenceReference,
  lstmSequenceReference,
  simpleRNNSequenceReference,
};
