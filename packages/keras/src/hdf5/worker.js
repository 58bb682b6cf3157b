// @ts-check
/* global WebAssembly */
/**
 * Worker-thread entry: reads HDF5 files sent by the main thread. A crash or hang of the HDF5
 * library on a hostile file ends this thread only; the main thread starts a fresh one.
 */
import './quiet.js';
import { parentPort } from 'node:worker_threads';
import h5wasm from 'h5wasm';
import { extractTree, Hdf5FormatError } from './extract.js';

const ready = h5wasm.ready;

/**
 * @param {import('./extract.js').H5Node} node
 * @param {ArrayBuffer[]} out
 */
function buffers(node, out) {
  if (node.kind === 'dataset') {
    if (node.data != null && node.data.byteLength > 0)
      out.push(/** @type {ArrayBuffer} */ (node.data.buffer));
  } else {
    for (const [, child] of node.children) buffers(child, out);
  }
  return out;
}

parentPort?.on(
  'message',
  async (
    /** @type {{ id: number, bytes: Uint8Array, limits: import('./extract.js').ExtractLimits }} */ msg,
  ) => {
    try {
      const module = await ready;
      const tree = extractTree({ ...h5wasm, FS: module.FS, Module: module }, msg.bytes, msg.limits);
      parentPort?.postMessage({ id: msg.id, ok: true, tree }, buffers(tree, []));
    } catch (e) {
      const error = /** @type {Error} */ (e);
      // A trap inside the wasm module (RuntimeError) may leave its heap inconsistent: report, then exit.
      const fatal =
        !(error instanceof Hdf5FormatError) &&
        (error?.name === 'RuntimeError' || error instanceof WebAssembly.RuntimeError);
      parentPort?.postMessage({
        id: msg.id,
        ok: false,
        fatal,
        name: String(error?.name ?? 'Error'),
        message: String(error?.message ?? error),
      });
      if (fatal) process.exit(1);
    }
  },
);
