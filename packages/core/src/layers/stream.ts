/**
 * Streams: a recurrent layer fed one timestep at a time (keyword spotting, audio frames, token
 * generation), with its states held here as typed arrays. Streaming T steps gives the numbers of
 * one whole-sequence call over the same T steps on the same backend.
 *
 * Masks follow Keras: a row whose step is masked keeps every state and outputs its previous
 * output (zeros before its first step, or always zeros with `zeroOutputForMask`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, invalidArgument, RnnkitError } from '../errors.js';
import {
  makeStepEngine,
  weightsPresent,
  type StepEngine,
  type StepShapes,
  type StreamableLayer,
} from './stream_engine.js';

/** Options of `RecurrentLayer.stream`. */
export interface StreamOptions {
  /** Rows of every step. */
  batch: number;
  /**
   * One row's input shape without batch and time (`[features]`, or ConvLSTM's spatial shape with
   * channels). Default: the layer's feature size (built layer or `batch_input_shape`).
   */
  inputShape?: number[];
}

/** Options of one {@link RecurrentStream.step}. */
export interface StreamStepOptions {
  /** false (or 0) skips the step: for all rows, or per row (`batch` entries). */
  mask?: boolean | ArrayLike<boolean | number>;
}

/** A snapshot of a stream ({@link RecurrentStream.getState}): copies, safe to keep. */
export interface StreamState {
  /** The states in Keras order, flattened row-major. */
  states: Float32Array[];
  /** The last output: what a masked step outputs (unless `zeroOutputForMask`). */
  output: Float32Array;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws the usual `argument: expected …, got …` error with `given` as written. */
function fail(argument: string, expected: string, given: string): never {
  throw new RnnkitError(`${argument}: expected ${expected}, got ${given}`);
}

function typeName(value: unknown): string {
  if (value == null) return String(value);
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/**
 * One layer fed one timestep per {@link step}. Made by `RecurrentLayer.stream`. The
 * stream keeps its own states (a stateful layer's stored states are neither read nor changed).
 * On backends that register step kernels (`kernels/step.ts`) a step allocates nothing; elsewhere
 * it runs the layer's sequence kernel with one timestep.
 *
 * Every rejected call leaves the stream as it was.
 */
export class RecurrentStream {
  /** Rows of every step. */
  readonly batch: number;
  /** One row's input shape. */
  readonly inputShape: readonly number[];
  /** Shape of a step's output, with batch. */
  readonly outputShape: readonly number[];
  /** Shapes of the states, with batch, in Keras order. */
  readonly stateShapes: readonly (readonly number[])[];
  private readonly inputLength: number;
  private readonly states: Float32Array[];
  private readonly saved: Float32Array[];
  private readonly lastOutput: Float32Array;
  private readonly stepOutput: Float32Array;
  private readonly input: Float32Array;
  private readonly active: Uint8Array;
  private readonly results: Float32Array[];
  private readonly shapes: StepShapes;
  private engine: StepEngine | null;

  constructor(
    private readonly layer: StreamableLayer,
    options: StreamOptions,
  ) {
    if (options == null || typeof options !== 'object') {
      invalidArgument(`${layer.name} stream options`, 'an object { batch }', options);
    }
    const batch = options.batch;
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch <= 0) {
      invalidArgument(`${layer.name} stream batch`, 'a positive integer', batch);
    }
    if (layer.goBackwards) {
      throw new RnnkitError(
        `${layer.name} stream: expected a layer with go_backwards false (a stream sees each step once, in order), got go_backwards true`,
      );
    }
    this.shapes = layer.stepShapes(batch, options.inputShape);
    this.batch = batch;
    this.inputShape = this.shapes.input;
    this.outputShape = this.shapes.output;
    this.stateShapes = this.shapes.states;
    this.inputLength = batch * product(this.shapes.input);
    const sizes = this.shapes.states.map(product);
    this.states = sizes.map((n) => new Float32Array(n));
    this.saved = sizes.map((n) => new Float32Array(n));
    const outputLength = product(this.shapes.output);
    this.lastOutput = new Float32Array(outputLength);
    this.stepOutput = new Float32Array(outputLength);
    this.input = new Float32Array(this.inputLength);
    this.active = new Uint8Array(batch);
    const returned = layer.returnState ? [outputLength, ...sizes] : [outputLength];
    this.results = returned.map((n) => new Float32Array(n));
    this.engine = makeStepEngine(layer, this.shapes);
  }

  /** `fused` when the backend's step kernels run the steps, `reference` when tensors do. */
  get path(): 'fused' | 'reference' {
    return this.live().path;
  }

  /** True once {@link dispose} ran. */
  get disposed(): boolean {
    return this.engine == null;
  }

  /**
   * Runs one timestep. `x` holds `batch·features` values (row-major `[batch, ...inputShape]`),
   * as a `Float32Array` or a float32 tensor of shape `[batch, ...inputShape]` or
   * `[batch, 1, ...inputShape]`. Returns the step's output, then the states when the layer has
   * `returnState`, as arrays the stream owns and overwrites on the next step (copy to keep).
   */
  step(x: Float32Array | tf.Tensor, options?: StreamStepOptions): Float32Array[] {
    const engine = this.live();
    const values = this.readInput(x);
    const anyMasked = this.readMask(options?.mask);
    if (anyMasked) this.states.forEach((s, i) => this.saved[i].set(s));
    const anyActive = !anyMasked || this.active.some((a) => a === 1);
    if (anyActive) {
      const current = engine.current() ? engine : this.remakeEngine();
      current.run(values, this.states, this.stepOutput);
    }
    if (anyMasked) this.applyMask();
    else this.lastOutput.set(this.stepOutput);
    const results = this.results;
    results[0].set(this.lastOutput);
    for (let i = 1; i < results.length; i++) results[i].set(this.states[i - 1]);
    return results;
  }

  /**
   * Starts over: states to zeros, or to `states` (Keras order, tensors of the state shapes or
   * arrays of their sizes), and the last output to zeros, as a new sequence starts.
   */
  reset(states?: (Float32Array | tf.Tensor)[]): void {
    this.live();
    const values = states == null ? null : this.readStates('reset states', states);
    this.states.forEach((s, i) => (values == null ? s.fill(0) : s.set(values[i])));
    this.lastOutput.fill(0);
  }

  /** A copy of the states and the last output (e.g. to branch in a beam search). */
  getState(): StreamState {
    this.live();
    return { states: this.states.map((s) => s.slice()), output: this.lastOutput.slice() };
  }

  /** Restores a {@link getState} snapshot (of this stream or one of the same shapes). */
  setState(state: StreamState): void {
    this.live();
    if (state == null || typeof state !== 'object' || !Array.isArray(state.states)) {
      fail(
        `${this.layer.name} stream setState state`,
        'a snapshot { states, output } from getState()',
        typeName(state),
      );
    }
    const values = this.readStates('setState states', state.states);
    this.checkArray('setState output', state.output, this.lastOutput.length, this.outputShape);
    this.states.forEach((s, i) => s.set(values[i]));
    this.lastOutput.set(state.output);
  }

  /** Releases the engine (backend buffers, packed weights); later calls throw. */
  dispose(): void {
    this.engine?.dispose();
    this.engine = null;
  }

  private live(): StepEngine {
    if (this.engine == null) {
      throw new RnnkitError(
        `${this.layer.name} stream: expected an open stream, got one closed by dispose()`,
      );
    }
    return this.engine;
  }

  /** Weights replaced or backend switched since the engine was made: make it again. */
  private remakeEngine(): StepEngine {
    if (!weightsPresent(this.layer.cells)) {
      throw new RnnkitError(
        `${this.layer.name} stream: expected a layer with weights, got one whose weights were released (layer.dispose())`,
      );
    }
    const next = makeStepEngine(this.layer, this.layer.stepShapes(this.batch, this.inputShape));
    this.engine!.dispose();
    this.engine = next;
    return next;
  }

  private readInput(x: Float32Array | tf.Tensor): Float32Array {
    const name = `${this.layer.name} stream step x`;
    if (x instanceof tf.Tensor) {
      if (x.isDisposed) fail(name, 'a live tensor', 'a disposed tensor');
      if (x.dtype !== 'float32') invalidArgument(`${name} dtype`, 'float32', x.dtype);
      const want = [this.batch, ...this.inputShape];
      const withTime = [this.batch, 1, ...this.inputShape];
      const same = (s: readonly number[]) =>
        x.shape.length === s.length && s.every((d, i) => x.shape[i] === d);
      if (!same(want) && !same(withTime)) {
        throw new RnnkitError(
          `${name}: expected shape ${formatShape(want)} or ${formatShape(withTime)}, got shape ${formatShape(x.shape)}`,
        );
      }
      this.input.set(x.dataSync() as Float32Array);
      return this.input;
    }
    this.checkArray('step x', x, this.inputLength, [this.batch, ...this.inputShape]);
    return x;
  }

  private checkArray(
    argument: string,
    values: unknown,
    length: number,
    shape: readonly number[],
  ): void {
    const name = `${this.layer.name} stream ${argument}`;
    if (!(values instanceof Float32Array)) {
      fail(name, `a Float32Array of ${length} values ${formatShape(shape)}`, typeName(values));
    }
    if (values.length !== length) {
      throw new RnnkitError(
        `${name}: expected a Float32Array of ${length} values ${formatShape(shape)}, got ${values.length} values`,
      );
    }
  }

  /** Fills `active`; true when some row's step is masked. */
  private readMask(mask: StreamStepOptions['mask']): boolean {
    if (mask == null) return false;
    const name = `${this.layer.name} stream step mask`;
    if (typeof mask === 'boolean') {
      this.active.fill(mask ? 1 : 0);
      return !mask;
    }
    if (typeof mask !== 'object' || typeof mask.length !== 'number') {
      fail(name, `a boolean or ${this.batch} booleans`, typeName(mask));
    }
    if (mask.length !== this.batch) {
      fail(name, `${this.batch} entries (one per row)`, `${mask.length} entries`);
    }
    let anyMasked = false;
    for (let b = 0; b < this.batch; b++) {
      const on = mask[b] ? 1 : 0;
      this.active[b] = on;
      if (on === 0) anyMasked = true;
    }
    return anyMasked;
  }

  /** Masked rows keep their states and output the last output (or zeros). */
  private applyMask(): void {
    const outRow = this.lastOutput.length / this.batch;
    const zero = this.layer.zeroOutputForMask;
    for (let b = 0; b < this.batch; b++) {
      const from = b * outRow;
      if (this.active[b] === 1) {
        this.lastOutput.set(this.stepOutput.subarray(from, from + outRow), from);
        continue;
      }
      if (zero) this.lastOutput.fill(0, from, from + outRow);
      for (let i = 0; i < this.states.length; i++) {
        const row = this.states[i].length / this.batch;
        this.states[i].set(this.saved[i].subarray(b * row, (b + 1) * row), b * row);
      }
    }
  }

  /** Checks states (arrays or tensors, Keras order) and returns their values. */
  private readStates(argument: string, states: unknown): Float32Array[] {
    const name = `${this.layer.name} stream ${argument}`;
    const shapes = this.stateShapes;
    const want = `${shapes.length} state(s) of shapes ${shapes.map((s) => formatShape(s)).join(', ')}`;
    if (!Array.isArray(states)) fail(name, want, typeName(states));
    if (states.length !== shapes.length) fail(name, want, `${states.length} states`);
    return states.map((s: unknown, i) => {
      if (s instanceof tf.Tensor) {
        if (s.dtype !== 'float32') invalidArgument(`${name}[${i}] dtype`, 'float32', s.dtype);
        const shape = shapes[i];
        if (s.shape.length !== shape.length || shape.some((d, j) => s.shape[j] !== d)) {
          throw new RnnkitError(
            `${name}[${i}]: expected shape ${formatShape(shape)}, got shape ${formatShape(s.shape)}`,
          );
        }
        return s.dataSync() as Float32Array;
      }
      this.checkArray(`${argument}[${i}]`, s, product(shapes[i]), shapes[i]);
      return s as Float32Array;
    });
  }
}
