/**
 * Reads HDF5 bytes into a plain tree. The HDF5 library runs in a worker (a worker thread under
 * Node, a Web Worker in browsers), so a hostile file that traps or hangs the library costs that
 * worker only (it is replaced), the page or process stays responsive, and a time limit holds.
 * Where no worker can start, it runs in-process.
 */
import { fail, messageOf } from '../errors.js';
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
  options: ReadHdf5Options;
  bytes: Uint8Array;
}

/** What the reader needs of a worker, whichever kind it is. */
interface WorkerHandle {
  post(message: { id: number; bytes: Uint8Array; limits: ExtractLimits }): void;
  /** Stops the worker; resolves once it has stopped where that can be known. */
  terminate(): Promise<unknown> | void;
}

/** How a worker reports back. */
interface WorkerEvents {
  reply(reply: Reply): void;
  /** The worker died or could not start; `reason` is for error messages. */
  failure(reason: string): void;
}

/** One worker and the requests it is serving. */
interface Reader {
  worker: WorkerHandle;
  pending: Map<number, Pending>;
  failures: number;
  /** Whether the worker has answered once (so it started). */
  answered: boolean;
}

/**
 * h5wasm reports errors by throwing through the library's C frames, which leaks what those frames
 * held; a worker that has failed this many reads is replaced to bound that growth.
 */
const MAX_FAILURES_PER_WORKER = 20;

let current: Reader | null = null;
let nextId = 1;
/** Set when a Web Worker could not start here (a bundler without worker support, a CSP). */
let webWorkerUnavailable = false;

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

function canStartWebWorker(): boolean {
  return !webWorkerUnavailable && typeof Worker === 'function' && typeof URL === 'function';
}

async function startNodeWorker(events: WorkerEvents): Promise<WorkerHandle> {
  const { Worker: NodeWorker } = await import('node:worker_threads');
  // The thread prints nothing (see quiet.js), so its output is not piped: a piped stream would
  // keep a script that loaded a model from exiting.
  // A computed file name: browser bundlers (Vite, webpack) would otherwise bundle this Node-only
  // worker (it imports node:worker_threads) for the page and fail; pages never start it.
  const workerFile = ['.', 'worker.js'].join('/');
  const w = new NodeWorker(new URL(workerFile, import.meta.url));
  w.on('message', (reply: Reply) => events.reply(reply));
  w.on('error', (e) => events.failure(`the HDF5 reader failed (${messageOf(e)})`));
  w.on('exit', (code) =>
    events.failure(`the HDF5 reader stopped (exit code ${code}) on malformed data`),
  );
  // Last: attaching a 'message' listener refs the thread's port again.
  w.unref();
  return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
}

function startWebWorker(events: WorkerEvents): WorkerHandle {
  // Written out literally so that bundlers (Vite, webpack 5, Parcel) bundle the worker with
  // the HDF5 library it imports.
  const w = new Worker(new URL('./web_worker.js', import.meta.url), { type: 'module' });
  w.addEventListener('message', (e: MessageEvent<Reply>) => events.reply(e.data));
  w.addEventListener('error', (e: ErrorEvent) => {
    e.preventDefault();
    events.failure(`the HDF5 reader failed (${e.message || 'the worker could not run'})`);
  });
  return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
}

/** Takes a worker out of service: later requests start a fresh one. */
function retire(reader: Reader, reason: (label: string) => string): void {
  if (current === reader) current = null;
  for (const [id, p] of reader.pending) {
    clearTimeout(p.timer);
    reader.pending.delete(id);
    p.reject(new Error(reason(p.options.label)));
  }
  void reader.worker.terminate();
}

/** A Web Worker that never answered could not start: its reads run in-process instead. */
function fallBackInline(reader: Reader): void {
  webWorkerUnavailable = true;
  if (current === reader) current = null;
  void reader.worker.terminate();
  for (const [id, p] of reader.pending) {
    clearTimeout(p.timer);
    reader.pending.delete(id);
    readInline(p.bytes, p.options).then(p.resolve, p.reject);
  }
}

function onReply(reader: Reader, reply: Reply): void {
  reader.answered = true;
  const p = reader.pending.get(reply.id);
  if (p != null) {
    reader.pending.delete(reply.id);
    clearTimeout(p.timer);
    const label = p.options.label;
    if (reply.ok && reply.tree != null) p.resolve(reply.tree);
    else if (reply.name === 'Hdf5FormatError') p.reject(new Error(`${label}: ${reply.message}`));
    else p.reject(new Error(`${label}: malformed HDF5 data (${reply.message ?? 'unreadable'})`));
  }
  if (!reply.ok) reader.failures += 1;
  // After a trap the library's memory may be inconsistent: never reuse this worker.
  if (reply.fatal || reader.failures >= MAX_FAILURES_PER_WORKER)
    retire(
      reader,
      (label) => `${label}: the HDF5 reader was restarted after a malformed file; try again`,
    );
}

async function getReader(): Promise<Reader> {
  if (current != null) return current;
  const box: { reader?: Reader } = {};
  const events: WorkerEvents = {
    reply: (reply) => box.reader != null && onReply(box.reader, reply),
    failure: (reason) => {
      const reader = box.reader;
      if (reader == null) return;
      if (!isNode() && !reader.answered) fallBackInline(reader);
      else retire(reader, (label) => `${label}: ${reason}`);
    },
  };
  const worker = isNode() ? await startNodeWorker(events) : startWebWorker(events);
  const reader: Reader = { worker, pending: new Map(), failures: 0, answered: false };
  box.reader = reader;
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
      // The library may be stuck in a loop: stop the worker (its other requests fail too).
      retire(
        reader,
        (label) => `${label}: the HDF5 reader was stopped after another file timed out; try again`,
      );
    }, options.timeoutMs);
    reader.pending.set(id, { resolve, reject, timer, options, bytes });
    reader.worker.post({ id, bytes, limits: options.limits });
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
    return isNode() || canStartWebWorker()
      ? await readInWorker(bytes, options)
      : await readInline(bytes, options);
  } catch (e) {
    const message = messageOf(e);
    fail(message.startsWith(options.label) ? message : `${options.label}: ${message}`);
  }
}

/** Stops the HDF5 worker, if one runs (under Node it also stops by itself when Node exits). */
export async function closeHdf5Reader(): Promise<void> {
  const reader = current;
  current = null;
  await reader?.worker.terminate();
}
