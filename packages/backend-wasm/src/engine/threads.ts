/**
 * Threads for the sequence kernels: worker threads that each instantiate rnnkit's module over
 * one shared `WebAssembly.Memory` and run a slice of the units of every call, meeting the
 * calling thread at a barrier after every step (`sequence` in `assembly/sequence.ts`).
 *
 * Kernel calls stay synchronous, as tfjs requires: the calling thread posts the call's
 * arguments to a control block in the shared memory, wakes the workers, runs slice 0 itself and
 * then waits for the workers to report. A worker spins for a while after each call (so calls in
 * a loop find it awake) before it sleeps on the control block. Workers are daemon threads: they
 * never keep a Node process alive.
 */
import {
  canBlockInWait,
  startScriptWorker,
  workerThreadsUnavailableReason,
  type ScriptWorker,
} from '@rnnkit/core/internal/threads';
import { OwnHeap } from './heap.js';
import {
  compileVariant,
  selectedVariant,
  type RnnkitWasmExports,
  type WasmVariant,
} from './module.js';

// The control block, in bytes from its start (each i32 on a cache line of its own).
const JOB_SEQUENCE = 0;
const JOB_DONE = 64;
const JOB_STOP = 128;
const JOB_THREADS = 192;
/** Which module function a job runs (an index into {@link JOBS}), beside the thread count. */
const JOB_KIND = 196;
const JOB_ARGS = 256;
const SYNC_OFFSET = JOB_ARGS + 128;

/**
 * The module functions a pool runs, with their argument counts before the four thread
 * arguments (`sync`, `threads`, `thread`, `canWait`); at most 32 fit the control block.
 */
const JOBS = { sequence: 22, convLSTM: 27, convLSTMGrad: 32, convLSTMGradForward: 26 } as const;
/** A module function a pool runs. */
export type JobKind = keyof typeof JOBS;
const JOB_KINDS = Object.keys(JOBS) as JobKind[];

/** Pages a shared memory may grow to (2 GiB); the module's import allows up to 4 GiB. */
const MAX_PAGES = 32768;

/** Spins on the job counter before a worker sleeps (about a millisecond). */
const WORKER_SPINS = 1 << 18;
/** Spins on the done counter before a thread that may block sleeps. */
const CALLER_SPINS = 1 << 16;

/**
 * The worker body, as source: it runs in a Node `worker_threads` worker (`eval`) and in a
 * browser Web Worker alike. It instantiates the module, says `ready`, then loops over jobs.
 */
const WORKER_SOURCE = `
'use strict';
const serve = ({ module, memory, control, index, workers }, ready) => {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const jobs = ${JSON.stringify(JOB_KINDS.map((kind) => [kind, JOBS[kind]]))}.map(
    ([name, count]) => [exports[name], count],
  );
  const at = (byte) => (control + byte) >> 2;
  let seen = 0;
  ready();
  for (;;) {
    let view = new Int32Array(memory.buffer);
    for (let spins = 0; Atomics.load(view, at(${JOB_SEQUENCE})) === seen; spins++) {
      if (spins > ${WORKER_SPINS}) Atomics.wait(view, at(${JOB_SEQUENCE}), seen);
    }
    seen = Atomics.load(view, at(${JOB_SEQUENCE}));
    if (Atomics.load(view, at(${JOB_STOP})) !== 0) return;
    view = new Int32Array(memory.buffer); // the memory may have grown
    const threads = view[at(${JOB_THREADS})];
    if (index < threads) {
      const [run, count] = jobs[view[at(${JOB_KIND})]];
      const args = Array.from(view.subarray(at(${JOB_ARGS}), at(${JOB_ARGS}) + count));
      run(...args, control + ${SYNC_OFFSET}, threads, index, 1);
    }
    if (Atomics.add(view, at(${JOB_DONE}), 1) + 1 === workers) {
      Atomics.notify(view, at(${JOB_DONE}));
    }
  }
};
if (typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  serve(workerData, () => parentPort.postMessage('ready'));
} else {
  self.onmessage = (e) => serve(e.data, () => self.postMessage('ready'));
}
`;

/** What a worker needs to join: the module, the memory and where the control block is. */
interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  index: number;
  workers: number;
}

/** Why threads cannot run here, or null when they can. */
export function threadsUnavailableReason(): string | null {
  return workerThreadsUnavailableReason(() => {
    try {
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      return null;
    } catch {
      return 'this engine cannot create a shared WebAssembly.Memory';
    }
  });
}

/**
 * The calling thread plus `threads − 1` workers over one shared memory. Kernel code allocates in
 * {@link ThreadPool.heap} and runs calls through {@link ThreadPool.run}.
 */
export class ThreadPool {
  private stopped = false;

  private constructor(
    readonly threads: number,
    readonly variant: WasmVariant,
    readonly heap: OwnHeap,
    readonly exports: RnnkitWasmExports,
    private readonly control: number,
    private readonly workers: ScriptWorker[],
    private readonly canBlock: boolean,
  ) {}

  /** Starts `threads − 1` workers; resolves once every one has instantiated the module. */
  static async start(threads: number): Promise<ThreadPool> {
    const reason = threadsUnavailableReason();
    if (reason != null)
      throw new Error(`threads: expected threads to be available, got: ${reason}`);
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const heap = new OwnHeap(memory);
    const variant = selectedVariant();
    const module = await compileVariant(variant, true);
    const exports = new WebAssembly.Instance(module, { env: { memory } })
      .exports as unknown as RnnkitWasmExports;
    const controlBytes = SYNC_OFFSET + exports.syncBytes();
    const control = heap.alloc(controlBytes);
    new Uint8Array(memory.buffer).fill(0, control, control + controlBytes);
    const workers: ScriptWorker[] = [];
    try {
      for (let index = 1; index < threads; index++) {
        workers.push(
          await startScriptWorker(WORKER_SOURCE, {
            module,
            memory,
            control,
            index,
            workers: threads - 1,
          } satisfies WorkerInit),
        );
      }
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      await Promise.all(workers.map((w) => w.stop()));
      throw e;
    }
    return new ThreadPool(threads, variant, heap, exports, control, workers, canBlockInWait());
  }

  private view(): Int32Array {
    return new Int32Array(this.heap.memory.buffer);
  }

  private at(byte: number): number {
    return (this.control + byte) >> 2;
  }

  /**
   * Runs `sequence(...args)` (or the module function `kind`) on `threads` threads (at most
   * {@link ThreadPool.threads}, and no more than the call keeps busy: `usefulThreads`,
   * `convUsefulThreads`); the scratch in `args` must be sized for `threads`. Returns when every
   * thread has finished.
   */
  run(args: readonly number[], threads: number, kind: JobKind = 'sequence'): void {
    if (this.stopped) throw new Error('threads: expected a running thread pool, got a stopped one');
    if (args.length !== JOBS[kind]) {
      throw new Error(`threads: expected ${JOBS[kind]} ${kind} arguments, got ${args.length}`);
    }
    const view = this.view();
    view.set(args, this.at(JOB_ARGS));
    view[this.at(JOB_THREADS)] = threads;
    view[this.at(JOB_KIND)] = JOB_KINDS.indexOf(kind);
    Atomics.store(view, this.at(JOB_DONE), 0);
    Atomics.add(view, this.at(JOB_SEQUENCE), 1);
    Atomics.notify(view, this.at(JOB_SEQUENCE));
    const slice = this.exports[kind] as (...values: number[]) => void;
    slice(...args, this.control + SYNC_OFFSET, threads, 0, this.canBlock ? 1 : 0);
    const workers = this.workers.length;
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(view, this.at(JOB_DONE));
      if (done === workers) break;
      if (this.canBlock && spins > CALLER_SPINS) Atomics.wait(view, this.at(JOB_DONE), done);
    }
  }

  /** Ends the workers; the pool cannot run calls afterwards. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const view = this.view();
    Atomics.store(view, this.at(JOB_STOP), 1);
    Atomics.add(view, this.at(JOB_SEQUENCE), 1);
    Atomics.notify(view, this.at(JOB_SEQUENCE));
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
