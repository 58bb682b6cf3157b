/**
 * The benchmark workloads: forward inference, float32, `returnSequences: false`; and training
 * workloads (`train`): forward and backward of `returnSequences: true` with the loss
 * `mean(output²)`, gradients w.r.t. the layer's three weights.
 */
import { gateCount, isConv, type Cell } from './data.js';

/** The frames of a ConvLSTM2D workload: `height × width × input` channels, a `kernel × kernel` filter. */
export interface Frame {
  height: number;
  width: number;
  /** Kernel size (square), `padding: 'same'`, stride 1. */
  kernel: number;
}

/** One benchmark shape. */
export interface Workload {
  /** Stable id used by `--filter` and in the JSON, e.g. `lstm-w1`. */
  id: string;
  cell: Cell;
  /** Bidirectional with `mergeMode: 'concat'`. */
  bidirectional: boolean;
  batch: number;
  time: number;
  /** Features per step (for ConvLSTM2D, channels per frame). */
  input: number;
  /** Units (for ConvLSTM2D, filters). */
  units: number;
  /** ConvLSTM2D only: the frame geometry. */
  frame?: Frame;
  /**
   * A streaming workload: the same forward, fed one timestep per call (states carried between
   * calls, the output read after every step). `baseline` is the whole-sequence workload of the
   * same shape, whose times the report divides these by.
   */
  stepping?: { baseline: string };
  /** A training step instead of a forward pass (see the module comment). */
  train?: boolean;
}

const W1 = { batch: 1, time: 100, input: 32, units: 128 };
const W2 = { batch: 32, time: 50, input: 64, units: 256 };
const W3 = { batch: 8, time: 200, input: 128, units: 512 };

/** Batch 1, 32 inputs, 512 units: the large single-stream shape. */
const S512 = { batch: 1, time: 100, input: 32, units: 512 };

/** ConvLSTM2D: 10 frames of 32×32×8, 16 filters, 3×3, `padding: 'same'`. */
const CONV = { time: 10, input: 8, units: 16, frame: { height: 32, width: 32, kernel: 3 } };

/** Training shapes: batch 16, 50 steps, 32 inputs, 128 units; and W2. */
const T1 = { batch: 16, time: 50, input: 32, units: 128 };

/**
 * Training steps of LSTM and of the GRU tfjs-layers has (reset_after=False), on T1 and W2, and
 * of ConvLSTM2D on the `convlstm2d-b1` shape.
 */
const TRAIN_WORKLOADS: readonly Workload[] = [
  { id: 'train-lstm-t1', cell: 'lstm', bidirectional: false, train: true, ...T1 },
  { id: 'train-lstm-w2', cell: 'lstm', bidirectional: false, train: true, ...W2 },
  { id: 'train-gru-before-t1', cell: 'gru-reset-before', bidirectional: false, train: true, ...T1 },
  { id: 'train-gru-before-w2', cell: 'gru-reset-before', bidirectional: false, train: true, ...W2 },
  {
    id: 'train-convlstm2d-b1',
    cell: 'convlstm2d',
    bidirectional: false,
    train: true,
    batch: 1,
    ...CONV,
  },
];

/**
 * The full set: LSTM on W1–W3, GRU (reset_after, the Keras default) on W1–W2, Bidirectional
 * LSTM on W2, GRU reset_after=False on W1–W2, the GRU that tfjs-layers can be compared on,
 * ConvLSTM2D at batch 1 and 4, and the training workloads.
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
  { id: 'convlstm2d-b1', cell: 'convlstm2d', bidirectional: false, batch: 1, ...CONV },
  { id: 'convlstm2d-b4', cell: 'convlstm2d', bidirectional: false, batch: 4, ...CONV },
  { id: 'lstm-s512', cell: 'lstm', bidirectional: false, ...S512 },
  ...streamOf('lstm-w1', 'lstm', W1),
  ...streamOf('gru-w1', 'gru', W1),
  ...streamOf('lstm-s512', 'lstm', S512),
  ...TRAIN_WORKLOADS,
];

/** The streaming twin `stream-<baseline>` of a whole-sequence workload. */
function streamOf(
  baseline: string,
  cell: Cell,
  shape: { batch: number; time: number; input: number; units: number },
): Workload[] {
  return [
    { id: `stream-${baseline}`, cell, bidirectional: false, ...shape, stepping: { baseline } },
  ];
}

const QUICK_TRAIN = { batch: 2, time: 20, input: 16, units: 32 };

/** `--quick`: one small shape per layer kind, for a smoke run. */
export const QUICK_WORKLOADS: readonly Workload[] = [
  { id: 'lstm-q', cell: 'lstm', bidirectional: false, batch: 2, time: 20, input: 16, units: 32 },
  { id: 'gru-q', cell: 'gru', bidirectional: false, batch: 2, time: 20, input: 16, units: 32 },
  { id: 'bilstm-q', cell: 'lstm', bidirectional: true, batch: 2, time: 20, input: 16, units: 32 },
  ...streamOf('lstm-q', 'lstm', { batch: 2, time: 20, input: 16, units: 32 }),
  { id: 'train-lstm-q', cell: 'lstm', bidirectional: false, train: true, ...QUICK_TRAIN },
  {
    id: 'train-gru-before-q',
    cell: 'gru-reset-before',
    bidirectional: false,
    train: true,
    ...QUICK_TRAIN,
  },
];

/** Directions (1, or 2 for Bidirectional). */
export function directions(w: Workload): number {
  return w.bidirectional ? 2 : 1;
}

/** The frame geometry of a ConvLSTM2D workload (an error for any other). */
export function frameOf(w: Workload): Frame {
  if (!isConv(w.cell) || w.frame == null) {
    throw new Error(
      `workload '${w.id}': expected a ConvLSTM2D workload with a frame, got ${w.cell}`,
    );
  }
  return w.frame;
}

/** The input's shape: `[B, T, D]`, or `[B, T, H, W, C]` for ConvLSTM2D. */
export function inputShape(w: Workload): number[] {
  if (!isConv(w.cell)) return [w.batch, w.time, w.input];
  const { height, width } = frameOf(w);
  return [w.batch, w.time, height, width, w.input];
}

/**
 * Multiply-adds ×2 of the gate products: 2·T·B·G·U·(D+U) per direction; for ConvLSTM2D
 * 2·T·B·H·W·G·U·k²·(C+U), both convolutions at every position (`same`, stride 1); three times
 * that for a training step (the backward pass has two products for each forward one).
 * Elementwise work is left out.
 */
export function flops(w: Workload): number {
  const perRow = gateCount(w.cell) * w.units * (w.input + w.units);
  if (isConv(w.cell)) {
    const { height, width, kernel } = frameOf(w);
    return 2 * w.time * w.batch * height * width * kernel * kernel * perRow * (w.train ? 3 : 1);
  }
  return 2 * w.time * w.batch * perRow * directions(w) * (w.train ? 3 : 1);
}

/** `B·T·D·U` as the tables print it, with the layer kind. */
export function describe(w: Workload): string {
  if (isConv(w.cell)) {
    const { height, width, kernel } = frameOf(w);
    const shape = `ConvLSTM2D ${w.batch}·${w.time}·${height}×${width}×${w.input}→${w.units}, ${kernel}×${kernel} same`;
    return w.train ? `train ${shape}, sequences, loss mean(y²)` : shape;
  }
  const name = w.cell === 'lstm' ? 'LSTM' : 'GRU';
  const kind = w.bidirectional ? `Bidirectional(${name}, concat)` : name;
  const extra =
    w.cell === 'gru' ? ' reset_after' : w.cell === 'gru-reset-before' ? ' reset_after=False' : '';
  const stream = w.stepping != null ? ', one step per call' : '';
  const shape = `${kind}${extra} ${w.batch}·${w.time}·${w.input}·${w.units}`;
  return w.train ? `train ${shape}, sequences, loss mean(y²)` : `${shape}${stream}`;
}
