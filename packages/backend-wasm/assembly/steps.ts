/**
 * Which steps a mask lets a row take, and where a step's output comes from, as the backward
 * kernels (`backward.ts`, `conv_lstm_backward.ts`) track them: a "row" is one batch item (its
 * state a vector of `U` units or an image of `positions · F` floats) and step `s` of processing
 * reads time `t` (`T − 1 − s` with `goBackwards`).
 */
import { addRows } from './rows';

/** Whether row `b` takes step `t` under the byte mask (0: no mask). */
export function taken(mask: usize, T: i32, b: i32, t: i32): bool {
  return mask == 0 || load<u8>(mask + <usize>(b * T + t)) != 0;
}

/** Writes the first processing step each row of `[b0, b1)` takes (T if none) as i32 at `first`. */
export function firstSteps(
  mask: usize,
  T: i32,
  b0: i32,
  b1: i32,
  backwards: bool,
  first: usize,
): void {
  for (let b = b0; b < b1; b++) {
    let s = 0;
    while (s < T && !taken(mask, T, b, backwards ? T - 1 - s : s)) s++;
    store<i32>(first + ((<usize>b) << 2), s);
  }
}

/**
 * The output of a forward step for one row: `last` (the row's previous output) becomes the state
 * `h` where the step was taken, zeros where it was masked and `zeroMasked`, else stays; then it is
 * copied to `out` (not 0). `bytes` a row's.
 */
export function stepOutput(
  last: usize,
  h: usize,
  keep: bool,
  zeroMasked: bool,
  out: usize,
  bytes: usize,
): void {
  if (keep) memory.copy(last, h, bytes);
  else if (zeroMasked) memory.fill(last, 0, bytes);
  if (out != 0) memory.copy(out, last, bytes);
}

/**
 * Adds the gradient of the output of processing step `s` (time `t`) to `dh` (`n` floats a row)
 * for the rows `[b0, b1)` whose output there is their state: where the step was taken, or, unless
 * `zeroMasked`, repeated from the last step taken (none before the row's first). A row's output
 * gradient is at `dOut + (b·outSteps + pos)·n` floats (`outSteps` 1 for the last output only).
 */
export function addOutputGradient(
  dh: usize,
  dOut: usize,
  outSteps: i32,
  pos: i32,
  mask: usize,
  first: usize,
  T: i32,
  s: i32,
  t: i32,
  zeroMasked: bool,
  b0: i32,
  b1: i32,
  n: i32,
): void {
  const bytes = (<usize>n) << 2;
  for (let b = b0; b < b1; b++) {
    const isH = zeroMasked ? taken(mask, T, b, t) : s >= load<i32>(first + ((<usize>b) << 2));
    if (!isH) continue;
    const g = dh + <usize>b * bytes;
    addRows(g, g, dOut + <usize>(b * outSteps + pos) * bytes, n);
  }
}
