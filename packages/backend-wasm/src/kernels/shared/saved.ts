/**
 * Activations a forward kernel call saves for its backward call. While tfjs records a gradient
 * tape, the forward kernels run the module's `sequenceGradForward`, which leaves every step's
 * activations in a heap block of their own, held here; the backward kernel reads them there
 * instead of recomputing the forward pass, and frees the block.
 *
 * tfjs calls the backward kernel with the copies of the inputs that its tape saved when the
 * forward call returned (on this backend a copy has data of its own, unlike on cpu), so an entry
 * is bound, at the next call that reads this registry, to the saved copies of the tape node whose
 * first output is the forward call's. A backward call only takes the activations of an entry
 * bound to exactly its inputs, with the same kernel and attributes. An entry is dropped when it
 * is taken, or freed with its block when the saved copy of `x` leaves the backend (tfjs disposes the saved copies once
 * the gradients are computed, whether or not they reached this call), when no tape node can be
 * found for it (the tape is gone); a backward call that finds none recomputes the forward pass.
 * Each heap block so lives no longer than the tape's copies of its call's inputs.
 * The registry so holds no more than the tape's own copies of the inputs outlive.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { Block } from '../../engine/heap.js';
import type { BackendState } from '../../engine/state.js';

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

/** The parts of a tfjs tape node read here (`engine.addTapeNode`). */
interface TapeNodeLike {
  kernelName: string;
  outputs: { dataId: object }[];
  saved?: { dataId: object }[];
}

interface Entry {
  kernel: string;
  /** The data of the saved copies of the inputs, in tfjs's order (the contract's). */
  ids: readonly object[];
  attrs: string;
  state: BackendState;
  block: Block;
}

/** Entries not yet bound to a tape node: the data of the forward call's first output. */
interface Pending {
  output: object;
  entry: Entry;
}

const pending: Pending[] = [];
const saved = new Map<object, Entry[]>();
let taken = 0;

/** True while tfjs records the current kernel call on a gradient tape. */
export function recordingGradients(): boolean {
  const state = tf.engine().state;
  return state.gradientDepth > 0 && state.kernelDepth === 1;
}

function inputIds(inputs: NamedTensorInfoMap): object[] {
  const ids: object[] = [];
  for (const k of INPUT_ORDER) if (inputs[k] != null) ids.push(inputs[k].dataId as object);
  return ids;
}

function attrsKey(attrs: NamedAttrMap | undefined): string {
  return JSON.stringify(Object.entries(attrs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Binds the pending entries to their tape nodes, then drops those whose `x` copy is gone. */
function refresh(): void {
  const tape = (tf.engine().state as unknown as { activeTape: TapeNodeLike[] | null }).activeTape;
  for (const { output, entry } of pending.splice(0)) {
    let node: TapeNodeLike | undefined;
    for (let i = (tape?.length ?? 0) - 1; i >= 0 && node == null; i--) {
      if (tape![i].outputs[0]?.dataId === output) node = tape![i];
    }
    const copies = node?.saved?.map((t) => t.dataId);
    if (copies == null || copies.length === 0) {
      entry.state.releaseBlock(entry.block);
      continue;
    }
    let entries = saved.get(copies[0]);
    if (entries == null) saved.set(copies[0], (entries = []));
    entries.push({ ...entry, ids: copies });
  }
  for (const [id, entries] of saved) {
    if (entries[0].state.hasData(id)) continue;
    for (const e of entries) e.state.releaseBlock(e.block);
    saved.delete(id);
  }
}

/**
 * Leaves `block` (of `state`'s memory; freed here when not taken) for the backward call of the
 * forward call of `kernel` with these attributes that returned `outputs`.
 */
export function saveForward(
  state: BackendState,
  kernel: string,
  outputs: TensorInfo[],
  attrs: NamedAttrMap | undefined,
  block: Block,
): void {
  refresh();
  pending.push({
    output: outputs[0].dataId,
    entry: { kernel, ids: [], attrs: attrsKey(attrs), state, block },
  });
}

/**
 * Takes (and forgets) the block saved by the forward call of `kernel` whose saved inputs these
 * are, with these attributes, or returns null when there are none. The caller frees the block.
 */
export function takeForward(
  kernel: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
): Block | null {
  refresh();
  const ids = inputIds(inputs);
  if (ids.length === 0) return null;
  const entries = saved.get(ids[0]);
  if (entries == null) return null;
  const key = attrsKey(attrs);
  const i = entries.findIndex(
    (e) =>
      e.kernel === kernel &&
      e.attrs === key &&
      e.ids.length === ids.length &&
      e.ids.every((id, k) => id === ids[k]),
  );
  if (i < 0) return null;
  const [entry] = entries.splice(i, 1);
  if (entries.length === 0) saved.delete(ids[0]);
  taken++;
  return entry.block;
}

/**
 * {@link takeForward}, for a backward call whose forward call saves `bytes` bytes: a block of
 * another size (a call of other shapes) is freed, and null returned.
 */
export function takeForwardOfSize(
  state: BackendState,
  kernel: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
  bytes: number,
): Block | null {
  const block = takeForward(kernel, inputs, attrs);
  if (block == null || block.bytes === bytes) return block;
  state.releaseBlock(block);
  return null;
}

/** How many backward calls took saved activations so far (for tests). */
export function takenForwardCount(): number {
  return taken;
}

/** Forward calls whose activations are held for a backward call (for tests). */
export function savedForwardCount(): number {
  refresh();
  let n = 0;
  for (const entries of saved.values()) n += entries.length;
  return n;
}
