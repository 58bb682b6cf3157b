/**
 * What runs one timestep of a layer for a stream, on plain typed arrays: the backend's step
 * kernels chained cell by cell when the active backend registers one for every cell (no tensors,
 * no allocation), else the layer's own sequence path with T = 1 through tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RnnkitError } from '../errors.js';
import { recordRun } from '../kernels/dispatch.js';
import { getStepKernel, type StepKernel } from '../kernels/step.js';
import { KernelCell, type Cell } from './cell.js';

/** Shapes of one timestep of a stream (see `RecurrentLayer.stepShapes`). */
export interface StepShapes {
  /** One row's input, without batch and time. */
  input: number[];
  /** The step's output, with batch. */
  output: number[];
  /** The states in Keras order, with batch. */
  states: number[][];
}

/** What a stream needs of its layer (a `RecurrentLayer`). */
export interface StreamableLayer {
  readonly name: string;
  readonly cells: readonly Cell[];
  readonly goBackwards: boolean;
  readonly returnState: boolean;
  readonly zeroOutputForMask: boolean;
  stepShapes(batch: number, inputShape?: readonly number[]): StepShapes;
  run(
    x: tf.Tensor,
    options: { initialState?: tf.Tensor[]; storeStates?: boolean },
  ): { output: tf.Tensor; states: tf.Tensor[] };
}

/** One timestep of a whole layer (all its cells) for a fixed batch. */
export interface StepEngine {
  /** `fused` when step kernels run, `reference` when tensors do. */
  readonly path: 'fused' | 'reference';
  /**
   * Reads `x` (`batch·features`) and `states` (Keras order, flattened), overwrites `states`
   * with the new ones and writes the step's output to `output`.
   */
  run(x: Float32Array, states: Float32Array[], output: Float32Array): void;
  /** True while the engine still matches the layer's weights and the active backend. */
  current(): boolean;
  dispose(): void;
}

/**
 * A tensor's values, read synchronously: a step returns its outputs at once. A backend that can
 * only read back asynchronously (webgpu in Node) cannot stream; the error says so.
 */
function readNow(layer: string, t: tf.Tensor): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } catch (e) {
    throw new RnnkitError(
      `${layer} stream: expected a backend that reads tensors back synchronously (cpu, wasm), got '${tf.getBackend()}', which failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** The layer's sequence path with one timestep, through tensors: every family, every backend. */
class ReferenceEngine implements StepEngine {
  readonly path = 'reference';
  constructor(
    private readonly layer: StreamableLayer,
    private readonly shapes: StepShapes,
  ) {}

  run(x: Float32Array, states: Float32Array[], output: Float32Array): void {
    const batch = this.shapes.output[0];
    tf.tidy(() => {
      // Copies: a backend may keep the array it was given as the tensor's storage.
      const input = tf.tensor(x.slice(), [batch, 1, ...this.shapes.input]);
      const initialState = states.map((s, i) => tf.tensor(s.slice(), this.shapes.states[i]));
      const result = this.layer.run(input, { initialState, storeStates: false });
      const out = readNow(this.layer.name, result.output);
      const next = result.states.map((s) => readNow(this.layer.name, s));
      output.set(out);
      next.forEach((values, i) => states[i].set(values));
    });
  }

  current(): boolean {
    return weightsPresent(this.layer.cells);
  }

  dispose(): void {}
}

/** False once a cell's weights were released (the layer was disposed). */
export function weightsPresent(cells: readonly Cell[]): boolean {
  return cells.every((c) => (c as { built?: boolean }).built !== false);
}

/** The backend's step kernels, one per cell, each cell's `h` the next cell's input. */
class FusedEngine implements StepEngine {
  readonly path = 'fused';
  private readonly backend = tf.getBackend();
  private readonly versions: number[];
  /** Each cell's states, as views of the stream's arrays (set on first run). */
  private cellStates: Float32Array[][] | null = null;
  private boundTo: Float32Array[] | null = null;

  constructor(
    private readonly cells: KernelCell[],
    private readonly kernels: StepKernel[],
  ) {
    this.versions = cells.map((c) => c.weightsVersion);
  }

  run(x: Float32Array, states: Float32Array[], output: Float32Array): void {
    if (this.boundTo !== states) this.bind(states);
    const cellStates = this.cellStates!;
    let input = x;
    for (let i = 0; i < this.kernels.length; i++) {
      this.kernels[i].step(input, cellStates[i]);
      input = cellStates[i][0];
    }
    output.set(input);
  }

  private bind(states: Float32Array[]): void {
    let offset = 0;
    this.cellStates = this.cells.map((cell) => {
      const n = cell.stateSize.length;
      offset += n;
      return states.slice(offset - n, offset);
    });
    this.boundTo = states;
  }

  current(): boolean {
    if (tf.getBackend() !== this.backend) return false;
    for (let i = 0; i < this.cells.length; i++) {
      if (this.cells[i].weightsVersion !== this.versions[i]) return false;
    }
    return true;
  }

  dispose(): void {
    this.kernels.forEach((k) => k.dispose());
  }
}

/**
 * The engine for `layer` on the active backend: fused when every cell is a dense built-in cell
 * whose sequence kernel has a registered step kernel there, else the reference path.
 */
export function makeStepEngine(layer: StreamableLayer, shapes: StepShapes): StepEngine {
  const batch = shapes.output[0];
  const backend = tf.getBackend();
  const cells = layer.cells;
  const dense = cells.every((c) => c instanceof KernelCell && c.family.spatialRank === 0);
  const factories = dense
    ? (cells as KernelCell[]).map((c) => getStepKernel(c.kernelName, backend))
    : [];
  if (!dense || factories.some((f) => f == null)) return new ReferenceEngine(layer, shapes);
  const kernels: StepKernel[] = [];
  try {
    (cells as KernelCell[]).forEach((cell, i) =>
      kernels.push(factories[i]!(cell.stepKernelArgs(batch))),
    );
  } catch (e) {
    kernels.forEach((k) => k.dispose());
    throw e;
  }
  return new FusedEngine(cells as KernelCell[], kernels);
}

/** True when every cell is a dense built-in cell with a step kernel on the active backend. */
export function hasStepKernels(cells: readonly Cell[]): boolean {
  const backend = tf.getBackend();
  return cells.every(
    (c) =>
      c instanceof KernelCell &&
      c.family.spatialRank === 0 &&
      getStepKernel(c.kernelName, backend) != null,
  );
}

/** Counts one fused run per cell in the dispatch stats (a stateful step on step kernels). */
export function countFusedSteps(cells: readonly Cell[]): void {
  for (const c of cells) if (c instanceof KernelCell) recordRun(c.kernelName, 'fused');
}
