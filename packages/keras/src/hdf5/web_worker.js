// @ts-check
/* global self */
/**
 * Web Worker entry in browsers: reads HDF5 files sent by the page. A crash or hang of the HDF5
 * library on a hostile file ends this worker only; the page stays responsive and starts a fresh
 * worker for the next file.
 */
import { serveRead } from './serve.js';

const scope = /** @type {{ postMessage(m: unknown, t: ArrayBuffer[]): void, close(): void }} */ (
  /** @type {unknown} */ (self)
);

self.addEventListener('message', async (event) => {
  const msg = /** @type {import('./serve.js').ReadRequest} */ (
    /** @type {MessageEvent} */ (event).data
  );
  const { reply, transfer } = await serveRead(msg);
  scope.postMessage(reply, transfer);
  // After a trap the library's memory may be inconsistent: never serve another file.
  if (reply.fatal) scope.close();
});
