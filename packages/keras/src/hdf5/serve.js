// @ts-check
/* global WebAssembly */
/**
 * The reader's side of the HDF5 worker protocol, shared by the Node worker thread (worker.js) and
 * the browser Web Worker (web_worker.js): one request is one file, answered with its tree or with
 * the error, and whether the library may be left broken (then the worker must not be reused).
 */
import h5wasm from 'h5wasm';
import { extractTree, Hdf5FormatError } from './extract.js';

const ready = h5wasm.ready;

/**
 * @typedef {{ id: number, bytes: Uint8Array, limits: import('./extract.js').ExtractLimits }} ReadRequest
 * @typedef {{ id: number, ok: boolean, tree?: import('./extract.js').H5Group, fatal?: boolean,
 *   name?: string, message?: string }} ReadReply
 */

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

/**
 * Reads one file. The reply's `transfer` lists the datasets' buffers, moved rather than copied.
 * @param {ReadRequest} msg
 * @returns {Promise<{ reply: ReadReply, transfer: ArrayBuffer[] }>}
 */
export async function serveRead(msg) {
  try {
    const module = await ready;
    const tree = extractTree({ ...h5wasm, FS: module.FS, Module: module }, msg.bytes, msg.limits);
    return { reply: { id: msg.id, ok: true, tree }, transfer: buffers(tree, []) };
  } catch (e) {
    const error = /** @type {Error} */ (e);
    // A trap inside the wasm module (RuntimeError) may leave its heap inconsistent.
    const fatal =
      !(error instanceof Hdf5FormatError) &&
      (error?.name === 'RuntimeError' || error instanceof WebAssembly.RuntimeError);
    return {
      reply: {
        id: msg.id,
        ok: false,
        fatal,
        name: String(error?.name ?? 'Error'),
        message: String(error?.message ?? error),
      },
      transfer: [],
    };
  }
}
