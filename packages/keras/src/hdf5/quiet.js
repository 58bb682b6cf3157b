// @ts-check
/**
 * Imported first by the worker: the HDF5 library prints diagnostics for every malformed file, and
 * they are not ours to show. Silencing them here, rather than piping the thread's stdout and
 * stderr to the main thread, keeps the thread from holding a script's process open.
 */
const silent = () => true;
for (const method of /** @type {const} */ (['log', 'info', 'warn', 'error', 'debug'])) {
  console[method] = () => {};
}
process.stdout.write = /** @type {typeof process.stdout.write} */ (silent);
process.stderr.write = /** @type {typeof process.stderr.write} */ (silent);
