/**
 * Activations a forward kernel call saves for its backward call. While tfjs records a gradient
 * tape, the forward kernels run a variant that keeps every step's gate activations and leaves
 * them here; the backward kernel, which tfjs calls with the very same input tensors (the tape
 * keeps clones that share their data), takes them back instead of recomputing the forward pass.
 *
 * Entries are keyed by the data of every input and by the attributes, so a backward call only
 * ever receives the activations of a forward call with identical inputs. An entry is dropped
 * when it is taken, when its input `x` leaves the backend (disposed), or, beyond
 * {@link SAVED_PER_INPUT} entries on one `x` (a forward pass recorded without a backward pass),
 * oldest first; a backward call that finds none recomputes the forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { SequenceProblem } from './inputs.js';

/** Forward calls kept per input `x` (a Bidirectional layer runs two on one `x`). */
export const SAVED_PER_INPUT = 4;

const INPUT_ORDER = [
  'x',
  'kernel',
  'recurrentKernel',
  'bias',
  'initialH',
  'initialC',
  'mask',
  'recurrentMask',
] as const;

interface Entry {
  kernel: string;
  ids: readonly (object | null)[];
  attrs: string;
  values: unknown;
}

const saved = new Map<object, { backend: MathBackendCPU; entries: Entry[] }>();

/** True while tfjs records the current kernel call on a gradient tape. */
export function recordingGradients(): boolean {
  const state = tf.engine().state;
  return state.gradientDepth > 0 && state.kernelDepth === 1;
}

function inputIds(inputs: NamedTensorInfoMap): (object | null)[] {
  return INPUT_ORDER.map((k) => (inputs[k]?.dataId as object | undefined) ?? null);
}

function attrsKey(attrs: NamedAttrMap | undefined): string {
  return JSON.stringify(Object.entries(attrs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function dropDisposed(): void {
  for (const [id, e] of saved) if (!e.backend.data.has(id)) saved.delete(id);
}

/** Leaves `values` for the backward call of `kernel` with these inputs and attributes. */
export function saveForward(
  backend: MathBackendCPU,
  kernel: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
  values: unknown,
): void {
  dropDisposed();
  const x = inputs.x?.dataId as object | undefined;
  if (x == null) return;
  let slot = saved.get(x);
  if (slot == null) saved.set(x, (slot = { backend, entries: [] }));
  slot.entries.push({ kernel, ids: inputIds(inputs), attrs: attrsKey(attrs), values });
  if (slot.entries.length > SAVED_PER_INPUT) slot.entries.shift();
}

/**
 * Takes (and forgets) the values saved by the forward call of `kernel` with these inputs and
 * attributes, or returns null when there are none.
 */
export function takeForward<V>(
  kernel: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
): V | null {
  dropDisposed();
  const x = inputs.x?.dataId as object | undefined;
  if (x == null) return null;
  const slot = saved.get(x);
  if (slot == null) return null;
  const ids = inputIds(inputs);
  const key = attrsKey(attrs);
  const i = slot.entries.findIndex(
    (e) => e.kernel === kernel && e.attrs === key && e.ids.every((id, k) => id === ids[k]),
  );
  if (i < 0) return null;
  const [entry] = slot.entries.splice(i, 1);
  if (slot.entries.length === 0) saved.delete(x);
  return entry.values as V;
}

/** Forward calls whose activations are held for a backward call (for tests). */
export function savedForwardCount(): number {
  dropDisposed();
  let n = 0;
  for (const e of saved.values()) n += e.entries.length;
  return n;
}

/**
 * The outputs of a forward pass that kept its activations, as the untaped kernel returns them:
 * `[output, h]`, and `c` for families with a cell state (`p.c` set).
 */
export function recordedOutputs(
  backend: MathBackendCPU,
  p: SequenceProblem,
  units: number,
  returnSequences: boolean,
  output: Float32Array,
): TensorInfo[] {
  const outShape = returnSequences ? [p.batch, p.steps, units] : [p.batch, units];
  const states = p.c == null ? [p.h] : [p.h, p.c];
  return [
    backend.makeTensorInfo(outShape, 'float32', output),
    ...states.map((s) => backend.makeTensorInfo([p.batch, units], 'float32', s)),
  ];
}
