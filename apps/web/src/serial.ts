/**
 * One queue for everything that computes: backend switches, the seed run, model runs and the
 * benchmark all change or use the global active tfjs backend, so they must not interleave.
 */
let tail: Promise<unknown> = Promise.resolve();

/** Runs `task` after every task queued before it; its result or error is passed through. */
export function serial<T>(task: () => Promise<T>): Promise<T> {
  const run = tail.then(task, task);
  tail = run.catch(() => undefined);
  return run;
}
