/**
 * Single-operator ONNX models (one `LSTM` or `GRU` node) built in memory, so the onnxruntime
 * peers run exactly the weights the other runners get. Field numbers follow `onnx.proto3`.
 */
import { ProtoWriter } from './protobuf.js';

const IR_VERSION = 8;
const OPSET = 17;
const TENSOR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;

/** Weights and shape of one ONNX recurrent node, already in ONNX layout. */
export interface OnnxRnnSpec {
  /** `'LSTM'` (gate order i, o, f, c) or `'GRU'` (z, r, h). */
  op: 'LSTM' | 'GRU';
  /** `'forward'` or `'bidirectional'`. */
  direction: 'forward' | 'bidirectional';
  /** Input features D. */
  inputSize: number;
  /** Hidden units U. */
  hiddenSize: number;
  /** `[dirs, G·U, D]`. */
  W: Float32Array;
  /** `[dirs, G·U, U]`. */
  R: Float32Array;
  /** `[dirs, 2·G·U]`: input biases then recurrent biases, per direction. */
  B: Float32Array;
  /** GRU only: 1 applies the reset gate after the recurrent product (Keras `reset_after`). */
  linearBeforeReset?: 0 | 1;
}

function floatTensor(name: string, dims: number[], data: Float32Array): ProtoWriter {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new RangeError(
      `initializer ${name}: expected ${expected} values for dims [${dims}], got ${data.length}`,
    );
  }
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  const t = new ProtoWriter();
  for (const d of dims) t.int(1, d);
  return t.int(2, TENSOR_FLOAT).string(8, name).bytes(9, raw);
}

function valueInfo(name: string, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, TENSOR_FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function intAttr(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(1, name).int(3, value).int(20, ATTR_INT);
}

function stringAttr(name: string, value: string): ProtoWriter {
  return new ProtoWriter().string(1, name).string(4, value).int(20, ATTR_STRING);
}

/** Options of {@link buildOnnxRnnModel}. */
export interface OnnxModelOptions {
  /**
   * Also take the initial states as inputs `H0` (and `C0` for LSTM) `[dirs, B, U]` and return
   * the final `c` as `Y_c`: a model stepped one timestep per run, states passed back in.
   */
  stateIO?: boolean;
}

/**
 * Encodes a model with one recurrent node (with `stateIO`, see {@link OnnxModelOptions}). Its only input is `X` `[T, B, D]` (ONNX's default
 * time-major layout: onnxruntime rejects `layout = 1`); its only output is `Y_h` `[dirs, B, U]`,
 * the last hidden state per direction (the full sequence output `Y` is not requested).
 */
export function buildOnnxRnnModel(spec: OnnxRnnSpec, options: OnnxModelOptions = {}): Uint8Array {
  const { op, direction, inputSize: D, hiddenSize: U } = spec;
  const G = op === 'LSTM' ? 4 : 3;
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const states = options.stateIO === true;
  const withC = states && op === 'LSTM';

  const node = new ProtoWriter();
  for (const name of ['X', 'W', 'R', 'B']) node.string(1, name);
  if (states) node.string(1, '').string(1, 'H0'); // sequence_lens omitted
  if (withC) node.string(1, 'C0');
  node.string(2, ''); // Y, omitted
  node.string(2, 'Y_h');
  if (withC) node.string(2, 'Y_c');
  node.string(3, `${op.toLowerCase()}_0`).string(4, op);
  node.message(5, intAttr('hidden_size', U));
  node.message(5, stringAttr('direction', direction));
  if (op === 'GRU') node.message(5, intAttr('linear_before_reset', spec.linearBeforeReset ?? 0));

  const graph = new ProtoWriter().message(1, node).string(2, `${op.toLowerCase()}_graph`);
  graph.message(5, floatTensor('W', [dirs, G * U, D], spec.W));
  graph.message(5, floatTensor('R', [dirs, G * U, U], spec.R));
  graph.message(5, floatTensor('B', [dirs, 2 * G * U], spec.B));
  graph.message(11, valueInfo('X', ['T', 'N', D]));
  if (states) graph.message(11, valueInfo('H0', [dirs, 'N', U]));
  if (withC) graph.message(11, valueInfo('C0', [dirs, 'N', U]));
  graph.message(12, valueInfo('Y_h', [dirs, 'N', U]));
  if (withC) graph.message(12, valueInfo('Y_c', [dirs, 'N', U]));

  const opset = new ProtoWriter().string(1, '').int(2, OPSET);
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'rnnkit-bench')
    .message(7, graph)
    .message(8, opset)
    .finish();
}
