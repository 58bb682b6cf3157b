/**
 * Reads HDF5 bytes into a plain tree. Under Node the HDF5 library runs in a worker thread, so
 * a hostile file that traps or hangs the library costs that thread only (it is replaced) and a
 * time limit holds; elsewhere it runs in-process.
 */
import { fail, messageOf } from '../errors.js';
import type { Worker as NodeWorker } from 'node:worker_threads';
import type { ExtractLimits, H5Group } from './tree.js';

/** Options of {@link readHdf5}. */
export interface ReadHdf5Options {
  limits: ExtractLimits;
  /** Milliseconds allowed for the whole read. */
  timeoutMs: number;
  /** Where the bytes came from, for error messages. */
  label: string;
}

interface Reply {
  id: number;
  ok: boolean;
  tree?: H5Group;
  fatal?: boolean;
  name?: string;
  message?: string;
}

interface Pending {
  resolve: (tree: H5Group) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  label: string;
}

/** One worker thread and the requests it is serving. */
interface Reader {
  worker: NodeWorker;
  pending: Map<number, Pending>;
  failures: number;
}

/**
 * h5wasm reports errors by throwing through the library's C frames, which leaks what those frames
 * held; a worker that has failed this many reads is replaced to bound that growth.
 */
const MAX_FAILURES_PER_WORKER = 20;

let current: Reader | null = null;
let nextId = 1;

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

/** Takes a worker out of service: later requests start a fresh one. */
function retire(reader: Reader, reason: (label: string) => string): void {
  if (current === reader) current = null;
  for (const [id, p] of reader.pending) {
    clearTimeout(p.timer);
    reader.pending.delete(id);
    p.reject(new Error(reason(p.label)));
  }
  void reader.worker.terminate();
}

async function getReader(): Promise<Reader> {
  if (current != null) return current;
  const { Worker } = await import('node:worker_threads');
  // The thread prints nothing (see quiet.js), so its output is not piped: a piped stream would
  // keep a script that loaded a model from exiting.
  // A computed file name: browser bundlers (Vite, webpack) would otherwise bundle this Node-only
  // worker (it imports node:worker_threads) for the page and fail; pages never start it.
  const workerFile = ['.', 'worker.js'].join('/');
  const w = new Worker(new URL(workerFile, import.meta.url));
  const reader: Reader = { worker: w, pending: new Map(), failures: 0 };
  w.on('message', (reply: Reply) => {
    const p = reader.pending.get(reply.id);
    if (p != null) {
      reader.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok && reply.tree != null) p.resolve(reply.tree);
      else if (reply.name === 'Hdf5FormatError')
        p.reject(new Error(`${p.label}: ${reply.message}`));
      else
        p.reject(new Error(`${p.label}: malformed HDF5 data (${reply.message ?? 'unreadable'})`));
    }
    if (!reply.ok) reader.failures += 1;
    // After a trap the library's memory may be inconsistent: never reuse this thread.
    if (reply.fatal || reader.failures >= MAX_FAILURES_PER_WORKER)
      retire(
        reader,
        (label) => `${label}: the HDF5 reader was restarted after a malformed file; try again`,
      );
  });
  w.on('error', (e) =>
    retire(reader, (label) => `${label}: the HDF5 reader failed (${messageOf(e)})`),
  );
  w.on('exit', (code) =>
    retire(
      reader,
      (label) => `${label}: the HDF5 reader stopped (exit code ${code}) on malformed data`,
    ),
  );
  // Last: attaching a 'message' listener refs the thread's port again.
  w.unref();
  current = reader;
  return reader;
}

async function readInWorker(bytes: Uint8Array, options: ReadHdf5Options): Promise<H5Group> {
  const reader = await getReader();
  const id = nextId++;
  return new Promise<H5Group>((resolve, reject) => {
    const timer = setTimeout(() => {
      reader.pending.delete(id);
      reject(
        new Error(
          `${options.label}: reading the HDF5 data took longer than ${options.timeoutMs} ms`,
        ),
      );
      // The library may be stuck in a loop: stop the thread (its other requests fail too).
      retire(
        reader,
        (label) => `${label}: the HDF5 reader was stopped after another file timed out; try again`,
      );
    }, options.timeoutMs);
    reader.pending.set(id, { resolve, reject, timer, label: options.label });
    reader.worker.postMessage({ id, bytes, limits: options.limits });
  });
}

let inlineBroken = false;

async function readInline(bytes: Uint8Array, options: ReadHdf5Options): Promise<H5Group> {
  if (inlineBroken) {
    fail(
      `${options.label}: the HDF5 reader failed on an earlier file and cannot be used again in this page`,
    );
  }
  const h5wasm = await import('h5wasm');
  const module = await h5wasm.ready;
  const { extractTree } = await import('./extract.js');
  try {
    return extractTree({ ...h5wasm, FS: module.FS, Module: module }, bytes, options.limits);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) inlineBroken = true;
    throw e;
  }
}

/**
 * Reads HDF5 `bytes` into a tree of groups, attributes and datasets (values included), within
 * the given limits. Throws a `KerasModelError` naming `label` on malformed data.
 */
export async function readHdf5(bytes: Uint8Array, options: ReadHdf5Options): Promise<H5Group> {
  try {
    return isNode() ? await readInWorker(bytes, options) : await readInline(bytes, options);
  } catch (e) {
    const message = messageOf(e);
    fail(message.startsWith(options.label) ? message : `${options.label}: ${message}`);
  }
}

/** Stops the HDF5 worker thread, if one runs (it also stops by itself when Node exits). */
export async function closeHdf5Reader(): Promise<void> {
  const reader = current;
  current = null;
  if (reader != null) await reader.worker.terminate();
}
