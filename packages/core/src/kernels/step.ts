/**
 * The step-kernel contract: one timestep of a dense recurrent family (SimpleRNN, LSTM, GRU) on
 * plain typed arrays, for streams that feed a layer one timestep at a time.
 *
 * A sequence kernel pays, on every call, for tensors, dispatch, weight lookups and output
 * allocation; with one timestep per call that overhead is several times the arithmetic. A
 * backend may therefore register a *step kernel* per sequence kernel name: a factory that
 * receives the cell's weights once (and may pack them the way its sequence kernel does) and
 * returns a {@link StepKernel} whose `step` updates the states in place without allocating.
 *
 * Registration is keyed by tfjs backend name and sequence kernel name
 * ({@link registerStepKernel}). Where the active backend registers none, streams run the
 * reference path: the layer's sequence kernel with T = 1 through tensors (correct, slower).
 * Masks, stacking, output order and state snapshots are the stream's business, not the step
 * kernel's: a step kernel always takes the step for every row.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { SequenceKernelAttrsMap, SequenceKernelName } from './contract.js';

/**
 * What a step-kernel factory receives. The tensors are the cell's live weights in the layout of
 * {@link SequenceKernelInputs} (`kernel [D, G·U]`, `recurrentKernel [U, G·U]`, `bias` of the
 * family's bias shape, zeros for a layer without bias); a factory must copy or pack what it
 * keeps, as the tensors may be disposed after it returns. `attrs` are the sequence attributes of
 * one forward step (`goBackwards`, `returnSequences`, `alignToInput`, `zeroOutputForMask` false).
 */
export interface StepKernelArgs<N extends SequenceKernelName = SequenceKernelName> {
  kernelName: N;
  attrs: SequenceKernelAttrsMap[N];
  kernel: Tensor;
  recurrentKernel: Tensor;
  bias: Tensor;
  /** Rows of every step. */
  batch: number;
  /** D. */
  inputDim: number;
}

/**
 * One timestep of one cell for a fixed batch. `x` holds `batch·D` values (row-major
 * `[batch, D]`); `states` the family's states in Keras order, `batch·U` values each, which
 * `step` reads and overwrites with the new states. The step's output is the new `h`
 * (`states[0]`). `step` must not allocate, and must not keep `x` or `states` between calls.
 */
export interface StepKernel {
  step(x: Float32Array, states: Float32Array[]): void;
  /** Releases what the factory allocated (packed weights, heap buffers). */
  dispose(): void;
}

/** Makes a {@link StepKernel} for one cell's weights and a batch size. */
export type StepKernelFactory = (args: StepKernelArgs) => StepKernel;

/** A step kernel's registration: the sequence kernel it steps, and the tfjs backend. */
export interface StepKernelConfig {
  kernelName: SequenceKernelName;
  backendName: string;
  factory: StepKernelFactory;
}

const registry = new Map<string, StepKernelFactory>();

function key(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

/** Registers (or replaces) the step kernel of `kernelName` on `backendName`. */
export function registerStepKernel(config: StepKernelConfig): void {
  registry.set(key(config.kernelName, config.backendName), config.factory);
}

/** Removes a registration (tests use it to force the reference path). */
export function unregisterStepKernel(kernelName: SequenceKernelName, backendName: string): void {
  registry.delete(key(kernelName, backendName));
}

/** The step-kernel factory of `kernelName` on `backendName`, or undefined. */
export function getStepKernel(
  kernelName: SequenceKernelName,
  backendName: string,
): StepKernelFactory | undefined {
  return registry.get(key(kernelName, backendName));
}
