/**
 * Worker threads for backends that split kernel calls between threads: starting a worker from
 * a script's source text, in Node (`worker_threads`) and in browsers (a Web Worker) alike.
 *
 * Shared by the backend packages through the `@rnnkit/core/internal/threads` subpath; not part
 * of rnnkit's public API, which is `@rnnkit/core`'s main entry.
 */
import type * as WorkerThreads from 'node:worker_threads';

/** A started worker: `ready` resolves on its first message; `stop` ends it. */
export interface ScriptWorker {
  ready: Promise<void>;
  stop(): Promise<void>;
}

type NodeWorkerThreads = typeof WorkerThreads;

/** Whether this is Node (where workers come from `worker_threads`). */
export function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

/**
 * Starts a worker that runs `source`. The script receives `data` as `workerData` in Node and as
 * its first message in a browser, and posts a message once it is ready. Node workers are
 * daemon threads: they never keep the process alive.
 */
export async function startScriptWorker(source: string, data: unknown): Promise<ScriptWorker> {
  if (isNode()) {
    // A computed specifier keeps browser bundlers from resolving a Node built-in.
    const specifier = 'node:worker_threads';
    const { Worker: NodeWorker } = (await import(
      /* @vite-ignore */ specifier
    )) as NodeWorkerThreads;
    const worker = new NodeWorker(source, { eval: true, workerData: data });
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return { ready, stop: async () => void (await worker.terminate()) };
  }
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = () => resolve();
    worker.onerror = (e) => reject(new Error(e.message));
  });
  worker.postMessage(data);
  return { ready, stop: async () => worker.terminate() };
}

/** True when this thread may block in `Atomics.wait` (not a browser's main thread). */
export function canBlockInWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why worker threads over shared memory cannot run here, or null when they can: checks
 * `SharedArrayBuffer` and Atomics, then `memoryProblem` (what the caller's own shared memory
 * needs of the engine), then Web Workers outside Node.
 */
export function workerThreadsUnavailableReason(memoryProblem: () => string | null): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    return 'SharedArrayBuffer is not available (in browsers it needs cross-origin isolation)';
  }
  const problem = memoryProblem();
  if (problem != null) return problem;
  if (!isNode() && typeof Worker === 'undefined') return 'Web Workers are not available';
  return null;
}
