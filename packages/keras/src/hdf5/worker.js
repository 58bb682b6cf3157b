// @ts-check
/**
 * Worker-thread entry under Node: reads HDF5 files sent by the main thread. A crash or hang of
 * the HDF5 library on a hostile file ends this thread only; the main thread starts a fresh one.
 */
import './quiet.js';
import { parentPort } from 'node:worker_threads';
import { serveRead } from './serve.js';

parentPort?.on('message', async (/** @type {import('./serve.js').ReadRequest} */ msg) => {
  const { reply, transfer } = await serveRead(msg);
  parentPort?.postMessage(reply, transfer);
  // After a trap the library's memory may be inconsistent: report, then exit.
  if (reply.fatal) process.exit(1);
});
