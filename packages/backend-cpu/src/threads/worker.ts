/**
 * The worker side of the product threads: a loop that waits for a job in the shared control
 * block, runs its slice of one packed product, and reports. Workers hold their own `number[]`
 * copies of the packed weights (V8's fastest element access, as on the calling thread); the
 * calling thread stages a matrix in shared memory the first time a worker needs it.
 *
 * The worker script is assembled from source text: {@link serveProducts} and the product
 * kernels refer to nothing outside themselves, and everything else arrives as arguments. Each
 * kernel is bound to the name it has in this build (a bundler may have renamed it, in its
 * callers too), as an expression, so that a minifier's arrow functions work as well.
 */
import {
  ensureLength,
  gemmPacked,
  newDoubleArray,
  PRODUCT_KERNELS,
} from '../kernels/shared/gemm.js';

/** Where things are in the control block (Int32 indices), shared by both sides. */
export interface ControlLayout {
  /** The job counter the workers wait on. */
  sequence: number;
  /** Workers that finished the current job. */
  done: number;
  /** Non-zero: the workers return. */
  stop: number;
  /** Non-zero: a worker failed the current job. */
  failed: number;
  /** The first worker's arguments; worker `i` (from 1) at `args + (i − 1)·argStride`. */
  args: number;
  argStride: number;
  /** Int32 values in the control block. */
  controlInts: number;
  /** Workers in the pool. */
  workers: number;
  /** Spins on the job counter before a worker sleeps. */
  spins: number;
}

/** A worker's arguments, as offsets from its argument block. */
export const ARG = {
  /** The packed matrix (a chunk of one), by id. */
  weightId: 0,
  /** Float64 index of a staged copy of the matrix in shared memory, or −1. */
  stageAt: 1,
  /** Values of the staged copy (its panels, without the scratch region). */
  stageLength: 2,
  depth: 3,
  rows: 4,
  /** Value offset of the worker's first panel in the matrix. */
  bOff: 5,
  /** The worker's panels; 0 when it has no share of this job. */
  panels: 6,
  /** Where the left operand goes in the worker's copy (the chunk's scratch offset). */
  scratch: 7,
  /** Float64 index of the packed left operand. */
  leftAt: 8,
  /** Float32 index and row stride of the worker's initial values (stride 0: one row). */
  initAt: 9,
  ldi: 10,
  /** Float32 index and row stride of the worker's results. */
  outAt: 11,
  ldc: 12,
  /** Matrices the worker drops from its cache before this job, listed from `drops`. */
  dropCount: 13,
  drops: 16,
} as const;

/** The kernels a worker runs, passed in by the assembled script. */
export interface WorkerKernels {
  gemmPacked: typeof gemmPacked;
  newDoubleArray: typeof newDoubleArray;
  ensureLength: typeof ensureLength;
}

/**
 * The worker loop (worker `index`, from 1). Self-contained: it runs from its source text.
 * A job that throws sets `failed` and still counts as done, so the caller never waits forever.
 */
export function serveProducts(
  memory: SharedArrayBuffer,
  index: number,
  kernels: WorkerKernels,
  layout: ControlLayout,
  arg: typeof ARG,
  ready: () => void,
): void {
  const { gemmPacked, newDoubleArray, ensureLength } = kernels;
  const control = new Int32Array(memory, 0, layout.controlInts);
  const a = layout.args + (index - 1) * layout.argStride;
  const matrices = new Map<number, number[]>();
  let f64: Float64Array = new Float64Array(0);
  let f32: Float32Array = new Float32Array(0);
  let seen = 0;
  ready();
  for (;;) {
    for (let spins = 0; Atomics.load(control, layout.sequence) === seen; spins++) {
      if (spins > layout.spins) Atomics.wait(control, layout.sequence, seen);
    }
    seen = Atomics.load(control, layout.sequence);
    if (Atomics.load(control, layout.stop) !== 0) return;
    try {
      if (f64.byteLength !== memory.byteLength) {
        f64 = new Float64Array(memory, 0, memory.byteLength >> 3);
        f32 = new Float32Array(memory, 0, memory.byteLength >> 2);
      }
      for (let i = 0; i < control[a + arg.dropCount]; i++) {
        matrices.delete(control[a + arg.drops + i]);
      }
      const id = control[a + arg.weightId];
      const stageAt = control[a + arg.stageAt];
      if (stageAt >= 0) {
        const copy = newDoubleArray(0);
        const n = control[a + arg.stageLength];
        for (let i = 0; i < n; i++) copy.push(f64[stageAt + i]);
        matrices.set(id, copy);
      }
      const panels = control[a + arg.panels];
      if (panels > 0) {
        const buf = matrices.get(id);
        if (buf == null) throw new Error(`worker ${index}: no matrix ${id}`);
        const depth = control[a + arg.depth];
        const rows = control[a + arg.rows];
        const scratch = control[a + arg.scratch];
        const n = rows * depth;
        ensureLength(buf, scratch + n);
        const leftAt = control[a + arg.leftAt];
        for (let i = 0; i < n; i++) buf[scratch + i] = f64[leftAt + i];
        gemmPacked(
          rows,
          panels,
          depth,
          buf,
          scratch,
          control[a + arg.bOff],
          f32,
          control[a + arg.initAt],
          control[a + arg.ldi],
          f32,
          control[a + arg.outAt],
          control[a + arg.ldc],
        );
      }
    } catch {
      Atomics.store(control, layout.failed, 1);
    }
    if (Atomics.add(control, layout.done, 1) + 1 === layout.workers) {
      Atomics.notify(control, layout.done);
    }
  }
}

/**
 * The worker script: the product kernels and {@link serveProducts} as source text, started by
 * the first message (a browser Web Worker) or by `workerData` (a Node worker thread), each
 * carrying `{ memory, index }`.
 */
export function workerSource(layout: ControlLayout): string {
  const kernels = `{ gemmPacked: ${gemmPacked.name}, newDoubleArray: ${newDoubleArray.name}, ensureLength: ${ensureLength.name} }`;
  return `'use strict';
${PRODUCT_KERNELS.map((f) => `const ${f.name} = ${String(f)};`).join('\n')}
const serve = ${String(serveProducts)};
const start = ({ memory, index }, ready) =>
  serve(memory, index, ${kernels}, ${JSON.stringify(layout)}, ${JSON.stringify(ARG)}, ready);
if (typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, () => parentPort.postMessage('ready'));
} else {
  self.onmessage = (e) => start(e.data, () => self.postMessage('ready'));
}
`;
}
