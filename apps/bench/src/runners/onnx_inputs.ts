/** The ONNX model and time-major input for one workload, shared by both onnxruntime runners. */
import { isConv, lastStateToBatchMajor, toTimeMajor } from '../data.js';
import { kerasToOnnx } from '../onnx/keras_to_onnx.js';
import { buildOnnxRnnModel } from '../onnx/model.js';
import { directions } from '../workloads.js';
import type { Skip, WorkloadData } from './types.js';

/** Model bytes, `X [T, B, D]`, and how to turn `Y_h [dirs, B, U]` into `[B, dirs·U]`. */
export interface OnnxInputs {
  model: Uint8Array;
  x: Float32Array;
  dims: [number, number, number];
  toKerasOrder(yh: Float32Array): Float32Array;
}

/**
 * Builds the single-op model. The input is transposed to ONNX's time-major layout here, outside
 * the timed window (onnxruntime has no batch-major LSTM), which slightly favours onnxruntime.
 */
export function onnxInputs(data: WorkloadData, stateIO = false): OnnxInputs {
  const { cell, batch, time, input, units } = data.workload;
  if (isConv(cell)) throw new Error(`onnxInputs: expected an LSTM or GRU workload, got ${cell}`);
  const dirs = directions(data.workload);
  return {
    model: buildOnnxRnnModel(kerasToOnnx(cell, input, units, data.weights), { stateIO }),
    x: toTimeMajor(data.x, batch, time, input),
    dims: [time, batch, input],
    toKerasOrder: (yh) => lastStateToBatchMajor(yh, dirs, batch, units),
  };
}

/** Why onnxruntime cannot run a workload, or undefined when it can. */
export function onnxSkip(data: WorkloadData): Skip | undefined {
  if (data.workload.train) return { skip: 'n/a: onnxruntime inference sessions do not train' };
  return isConv(data.workload.cell) ? { skip: 'n/a: ONNX has no ConvLSTM operator' } : undefined;
}
