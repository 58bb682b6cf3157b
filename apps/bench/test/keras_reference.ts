/**
 * The Keras LSTM / GRU (reset_after) equations in plain float64 JS: an oracle independent of
 * rnnkit, tfjs and onnxruntime. Weights in Keras layout (gate order LSTM i, f, c, o; GRU z, r, h).
 */
import type { KerasRnnWeights } from '../src/onnx/keras_to_onnx.js';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Last hidden state `[B, U]` of a Keras LSTM/GRU over `x [B, T, D]`; `reverse` reads T−1 … 0. */
export function kerasLastState(
  cell: 'lstm' | 'gru',
  x: Float32Array,
  batch: number,
  time: number,
  inputSize: number,
  units: number,
  w: KerasRnnWeights,
  reverse = false,
): Float64Array {
  const G = cell === 'lstm' ? 4 : 3;
  const cols = G * units;
  const out = new Float64Array(batch * units);
  for (let b = 0; b < batch; b++) {
    let h = new Float64Array(units);
    const c = new Float64Array(units);
    for (let s = 0; s < time; s++) {
      const t = reverse ? time - 1 - s : s;
      const mx = new Float64Array(cols);
      const mh = new Float64Array(cols);
      for (let j = 0; j < cols; j++) {
        let ax = w.bias[j];
        for (let d = 0; d < inputSize; d++)
          ax += x[(b * time + t) * inputSize + d] * w.kernel[d * cols + j];
        let ah = cell === 'gru' ? w.bias[cols + j] : 0;
        for (let k = 0; k < units; k++) ah += h[k] * w.recurrentKernel[k * cols + j];
        mx[j] = ax;
        mh[j] = ah;
      }
      const next = new Float64Array(units);
      for (let u = 0; u < units; u++) {
        if (cell === 'lstm') {
          const z = (g: number): number => mx[g * units + u] + mh[g * units + u];
          const i = sigmoid(z(0));
          const f = sigmoid(z(1));
          const o = sigmoid(z(3));
          c[u] = f * c[u] + i * Math.tanh(z(2));
          next[u] = o * Math.tanh(c[u]);
        } else {
          const zg = sigmoid(mx[u] + mh[u]);
          const r = sigmoid(mx[units + u] + mh[units + u]);
          const cand = Math.tanh(mx[2 * units + u] + r * mh[2 * units + u]);
          next[u] = zg * h[u] + (1 - zg) * cand;
        }
      }
      h = next;
    }
    out.set(h, b * units);
  }
  return out;
}
