/**
 * Maps Keras recurrent weights to ONNX layout. Keras stores `kernel [D, G·U]` and
 * `recurrent_kernel [U, G·U]` with gates as column blocks (LSTM i, f, c, o; GRU z, r, h);
 * ONNX wants `W [G·U, D]` and `R [G·U, U]` (transposed) with LSTM gates ordered i, o, f, c.
 */
import { hasRecurrentBias, isGru, type Cell, type KerasRnnWeights } from '../data.js';
import type { OnnxRnnSpec } from './model.js';

/** For each ONNX LSTM gate block (i, o, f, c), the Keras block it comes from. */
const LSTM_BLOCKS = [0, 3, 1, 2];
const GRU_BLOCKS = [0, 1, 2];

/** Writes `src [rows, G·U]`'s gate blocks, transposed, into `dst [G·U, rows]` at `offset`. */
function transposeBlocks(
  src: Float32Array,
  rows: number,
  units: number,
  blocks: number[],
  dst: Float32Array,
  offset: number,
): void {
  const cols = blocks.length * units;
  blocks.forEach((kerasBlock, onnxBlock) => {
    for (let u = 0; u < units; u++) {
      const outRow = offset + (onnxBlock * units + u) * rows;
      const srcCol = kerasBlock * units + u;
      for (let r = 0; r < rows; r++) dst[outRow + r] = src[r * cols + srcCol];
    }
  });
}

function permuteBias(
  src: Float32Array,
  srcOffset: number,
  units: number,
  blocks: number[],
  dst: Float32Array,
  offset: number,
): void {
  blocks.forEach((kerasBlock, onnxBlock) => {
    for (let u = 0; u < units; u++)
      dst[offset + onnxBlock * units + u] = src[srcOffset + kerasBlock * units + u];
  });
}

/**
 * Builds the ONNX spec for Keras weights, one entry per direction (forward, then backward for
 * Bidirectional, as Keras `get_weights()` orders them). GRU `reset_after` maps to ONNX
 * `linear_before_reset`: 1 for `'gru'`, 0 for `'gru-reset-before'`.
 */
export function kerasToOnnx(
  cell: Cell,
  inputSize: number,
  units: number,
  directions: KerasRnnWeights[],
): OnnxRnnSpec {
  if (directions.length !== 1 && directions.length !== 2) {
    throw new RangeError(`directions: expected 1 or 2 weight sets, got ${directions.length}`);
  }
  const blocks = isGru(cell) ? GRU_BLOCKS : LSTM_BLOCKS;
  const G = blocks.length;
  const dirs = directions.length;
  const W = new Float32Array(dirs * G * units * inputSize);
  const R = new Float32Array(dirs * G * units * units);
  const B = new Float32Array(dirs * 2 * G * units);
  directions.forEach((w, d) => {
    const expectBias = hasRecurrentBias(cell) ? 2 * G * units : G * units;
    if (w.kernel.length !== inputSize * G * units) {
      throw new RangeError(
        `kernel[${d}]: expected ${inputSize}×${G * units} values, got ${w.kernel.length}`,
      );
    }
    if (w.recurrentKernel.length !== units * G * units) {
      throw new RangeError(
        `recurrentKernel[${d}]: expected ${units}×${G * units} values, got ${w.recurrentKernel.length}`,
      );
    }
    if (w.bias.length !== expectBias) {
      throw new RangeError(`bias[${d}]: expected ${expectBias} values, got ${w.bias.length}`);
    }
    transposeBlocks(w.kernel, inputSize, units, blocks, W, d * G * units * inputSize);
    transposeBlocks(w.recurrentKernel, units, units, blocks, R, d * G * units * units);
    const bOffset = d * 2 * G * units;
    permuteBias(w.bias, 0, units, blocks, B, bOffset);
    // LSTM and GRU reset-before have one Keras bias: ONNX's recurrent half stays zero.
    // GRU reset_after: row 1 → Rb.
    if (hasRecurrentBias(cell))
      permuteBias(w.bias, G * units, units, blocks, B, bOffset + G * units);
  });
  return {
    op: isGru(cell) ? 'GRU' : 'LSTM',
    direction: dirs === 2 ? 'bidirectional' : 'forward',
    inputSize,
    hiddenSize: units,
    W,
    R,
    B,
    ...(isGru(cell) ? { linearBeforeReset: cell === 'gru' ? (1 as const) : (0 as const) } : {}),
  };
}
