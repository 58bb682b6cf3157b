/** The benchmark workloads: forward inference, float32, `returnSequences: false`. */
import { gateCount, type Cell } from './data.js';

/** One benchmark shape. */
export interface Workload {
  /** Stable id used by `--filter` and in the JSON, e.g. `lstm-w1`. */
  id: string;
  cell: Cell;
  /** Bidirectional with `mergeMode: 'concat'`. */
  bidirectional: boolean;
  batch: number;
  time: number;
  input: number;
  units: number;
}

const W1 = { batch: 1, time: 100, input: 32, units: 128 };
const W2 = { batch: 32, time: 50, input: 64, units: 256 };
const W3 = { batch: 8, time: 200, input: 128, units: 512 };

/**
 * The full set: LSTM on W1–W3, GRU (reset_after, the Keras default) on W1–W2, Bidirectional
 * LSTM on W2, and GRU reset_after=False on W1–W2, the GRU that tfjs-layers can be compared on.
 */
export const FULL_WORKLOADS: readonly Workload[] = [
  { id: 'lstm-w1', cell: 'lstm', bidirectional: false, ...W1 },
  { id: 'lstm-w2', cell: 'lstm', bidirectional: false, ...W2 },
  { id: 'lstm-w3', cell: 'lstm', bidirectional: false, ...W3 },
  { id: 'gru-w1', cell: 'gru', bidirectional: false, ...W1 },
  { id: 'gru-w2', cell: 'gru', bidirectional: false, ...W2 },
  { id: 'bilstm-w2', cell: 'lstm', bidirectional: true, ...W2 },
  { id: 'gru-before-w1', cell: 'gru-reset-before', bidirectional: false, ...W1 },
  { id: 'gru-before-w2', cell: 'gru-reset-before', bidirectional: false, ...W2 },
];

/** `--quick`: one small shape per layer kind, for a smoke run. */
export const QUICK_WORKLOADS: readonly Workload[] = [
  { id: 'lstm-q', cell: 'lstm', bidirectional: false, batch: 2, time: 20, input: 16, units: 32 },
  { id: 'gru-q', cell: 'gru', bidirectional: false, batch: 2, time: 20, input: 16, units: 32 },
  { id: 'bilstm-q', cell: 'lstm', bidirectional: true, batch: 2, time: 20, input: 16, units: 32 },
];

/** Directions (1, or 2 for Bidirectional). */
export function directions(w: Workload): number {
  return w.bidirectional ? 2 : 1;
}

/** Multiply-adds ×2 of the gate products: 2·T·B·G·U·(D+U) per direction (elementwise work left out). */
export function flops(w: Workload): number {
  return 2 * w.time * w.batch * gateCount(w.cell) * w.units * (w.input + w.units) * directions(w);
}

/** `B·T·D·U` as the tables print it, with the layer kind. */
export function describe(w: Workload): string {
  const name = w.cell === 'lstm' ? 'LSTM' : 'GRU';
  const kind = w.bidirectional ? `Bidirectional(${name}, concat)` : name;
  const extra =
    w.cell === 'gru' ? ' reset_after' : w.cell === 'gru-reset-before' ? ' reset_after=False' : '';
  return `${kind}${extra} ${w.batch}·${w.time}·${w.input}·${w.units}`;
}
