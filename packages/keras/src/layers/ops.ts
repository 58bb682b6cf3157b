/**
 * Operations saved as graph nodes. A Keras 3 functional model records its `keras.ops` calls
 * (`ops.not_equal(ids, 0)`, `x[:, -1]`, `ops.mean(x, axis=1)`) as nodes whose class is the
 * operation (`NotEqual`, `GetItem`, `Mean`) under a `keras.src.ops` module; the mask of an
 * `Embedding(mask_zero=True)` reaches the next layer that way, as a `NotEqual` node passed as
 * `mask=`. Each operation runs on tfjs-core ops, so on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import type { NodeSpec, Operand } from '../graph/spec.js';
import type { CallArgs, CallResult, LayerJson, ModelLayer, Shape, WeightSpec } from './types.js';

/** What an operation gets: its positional arguments resolved, and its config. */
interface OpCall<T> {
  args: (T | T[] | unknown)[];
  config: Record<string, unknown>;
  label: string;
}

interface OpDefinition {
  /** Output shape from the positional arguments' shapes (constants stay as values). */
  shape(call: OpCall<Shape>): Shape;
  run(call: OpCall<tf.Tensor>): tf.Tensor;
}

/** numpy broadcasting of two shapes; null (unknown until prediction) stays null. */
function broadcastShapes(a: Shape, b: Shape, label: string): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const x = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const y = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x == null || y == null) out.push(x ?? y);
    else if (x === y) out.push(x);
    else fail(`${label}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast`);
  }
  return out;
}

function isTensorShape(v: unknown): v is Shape {
  return Array.isArray(v) && v.every((d) => d === null || typeof d === 'number');
}

function scalarOf(v: unknown, label: string, what: string): number | boolean {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  fail(`${label}: ${what} must be a tensor or a number, got ${describe(v)}`);
}

function shapeOfOperand(v: unknown, label: string): Shape {
  if (isTensorShape(v)) return v;
  scalarOf(v, label, 'the operand');
  return [];
}

function tensorOf(v: unknown, like: tf.Tensor | null, label: string): tf.Tensor {
  if (v instanceof tf.Tensor) return v;
  const s = scalarOf(v, label, 'the operand');
  if (typeof s === 'boolean') return tf.scalar(s, 'bool');
  // A Python int against an integer tensor stays an integer, as numpy's promotion does.
  const dtype = like != null && like.dtype === 'int32' && Number.isInteger(s) ? 'int32' : 'float32';
  return tf.scalar(s, dtype);
}

/** Two operands cast to one dtype: float32 unless both are int32 (or both bool). */
function sameDtype(a: tf.Tensor, b: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (a.dtype === b.dtype) return [a, b];
  return [tf.cast(a, 'float32'), tf.cast(b, 'float32')];
}

function binary(fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, bool = false): OpDefinition {
  return {
    shape: ({ args, label }) =>
      broadcastShapes(shapeOfOperand(args[0], label), shapeOfOperand(args[1], label), label),
    run: ({ args, label }) => {
      const first = args[0] instanceof tf.Tensor ? args[0] : null;
      const second = args[1] instanceof tf.Tensor ? args[1] : null;
      let a = tensorOf(args[0], second, label);
      let b = tensorOf(args[1], first, label);
      if (bool) {
        a = tf.cast(a, 'bool');
        b = tf.cast(b, 'bool');
      } else {
        [a, b] = sameDtype(a, b);
      }
      return fn(a, b);
    },
  };
}

function unary(fn: (x: tf.Tensor) => tf.Tensor): OpDefinition {
  return {
    shape: ({ args, label }) => shapeOfOperand(args[0], label),
    run: ({ args, label }) => fn(tensorOf(args[0], null, label)),
  };
}

function floatUnary(fn: (x: tf.Tensor) => tf.Tensor): OpDefinition {
  return unary((x) => fn(tf.cast(x, 'float32')));
}

/** Resolves an axis (negative counts from the end) for a rank, or fails naming it. */
function resolveAxis(axis: unknown, rank: number, label: string, extra = 0): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    fail(`${label}: axis must be an integer, got ${describe(axis)}`);
  const n = rank + extra;
  const a = axis < 0 ? n + axis : axis;
  if (a < 0 || a >= n) fail(`${label}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function axesOf(config: Record<string, unknown>, rank: number, label: string): number[] {
  const axis = config.axis;
  if (axis == null) return [...Array(rank).keys()];
  const list = Array.isArray(axis) ? axis : [axis];
  return list.map((a) => resolveAxis(a, rank, label));
}

function reduction(fn: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): OpDefinition {
  return {
    shape: ({ args, config, label }) => {
      const shape = shapeOfOperand(args[0], label);
      const axes = axesOf(config, shape.length, label);
      const keep = config.keepdims === true;
      return keep
        ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : shape.filter((_, i) => !axes.includes(i));
    },
    run: ({ args, config, label }) => {
      const x = tensorOf(args[0], null, label);
      return fn(x, axesOf(config, x.rank, label), config.keepdims === true);
    },
  };
}

const DTYPES: Record<string, tf.DataType> = {
  bool: 'bool',
  int8: 'int32',
  int16: 'int32',
  int32: 'int32',
  int64: 'int32',
  uint8: 'int32',
  float16: 'float32',
  bfloat16: 'float32',
  float32: 'float32',
  float64: 'float32',
};

function castDtype(config: Record<string, unknown>, label: string): tf.DataType {
  const dtype = config.dtype;
  const name =
    typeof dtype === 'string' ? dtype : (dtype as { config?: { name?: unknown } })?.config?.name;
  const out = typeof name === 'string' ? DTYPES[name] : undefined;
  if (out == null)
    fail(
      `${label}: dtype must be one of ${Object.keys(DTYPES).join(', ')}, got ${describe(dtype)}`,
    );
  return out;
}

/** One entry of a `GetItem` key: an index, a slice, `None` (new axis) or `...`. */
type KeyPart =
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start: number | null; stop: number | null; step: number }
  | { kind: 'newaxis' }
  | { kind: 'ellipsis' };

function keyParts(key: unknown, label: string): KeyPart[] {
  const list = Array.isArray(key) ? key : [key];
  return list.map((k): KeyPart => {
    if (k == null) return { kind: 'newaxis' };
    if (typeof k === 'number' && Number.isInteger(k)) return { kind: 'index', index: k };
    const obj = k as { class_name?: unknown; config?: Record<string, unknown> };
    if (obj?.class_name === '__ellipsis__') return { kind: 'ellipsis' };
    if (obj?.class_name === '__slice__' && obj.config != null) {
      const int = (v: unknown, what: string): number | null => {
        if (v == null) return null;
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        fail(`${label}: slice ${what} must be an integer or None, got ${describe(v)}`);
      };
      const step = int(obj.config.step, 'step') ?? 1;
      if (step <= 0) fail(`${label}: slice step must be positive, got ${step}`);
      return {
        kind: 'slice',
        start: int(obj.config.start, 'start'),
        stop: int(obj.config.stop, 'stop'),
        step,
      };
    }
    fail(`${label}: index ${describe(k)} is not supported (integers, slices, None and ...)`);
  });
}

/** The key with `...` expanded, one entry per input axis plus the new axes. */
function expandKey(parts: KeyPart[], rank: number, label: string): KeyPart[] {
  const consumed = parts.filter((p) => p.kind === 'index' || p.kind === 'slice').length;
  if (consumed > rank) fail(`${label}: ${consumed} indices for a tensor of rank ${rank}`);
  const fill = (n: number): KeyPart[] =>
    Array.from({ length: n }, () => ({ kind: 'slice', start: null, stop: null, step: 1 }));
  const at = parts.findIndex((p) => p.kind === 'ellipsis');
  if (parts.filter((p) => p.kind === 'ellipsis').length > 1)
    fail(`${label}: an index can have only one ellipsis`);
  if (at < 0) return [...parts, ...fill(rank - consumed)];
  return [...parts.slice(0, at), ...fill(rank - consumed), ...parts.slice(at + 1)];
}

/** Python's slice arithmetic on a known size: [begin, count]. */
function sliceRange(size: number, p: { start: number | null; stop: number | null; step: number }) {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const begin = p.start == null ? 0 : clamp(p.start);
  const end = p.stop == null ? size : clamp(p.stop);
  return { begin, count: Math.max(0, Math.ceil((end - begin) / p.step)) };
}

const getItem: OpDefinition = {
  shape: ({ args, label }) => {
    const shape = shapeOfOperand(args[0], label);
    const out: Shape = [];
    let axis = 0;
    for (const p of expandKey(keyParts(args[1], label), shape.length, label)) {
      if (p.kind === 'newaxis') out.push(1);
      else if (p.kind === 'index') {
        const d = shape[axis++];
        if (d != null && (p.index >= d || p.index < -d))
          fail(`${label}: index ${p.index} is out of range for an axis of size ${d}`);
      } else if (p.kind === 'slice') {
        const d = shape[axis++];
        out.push(d == null ? null : sliceRange(d, p).count);
      }
    }
    return out;
  },
  run: ({ args, label }) => {
    let x = tensorOf(args[0], null, label);
    const parts = expandKey(keyParts(args[1], label), x.rank, label);
    const begin: number[] = [];
    const size: number[] = [];
    const steps: number[] = [];
    const outShape: number[] = [];
    let axis = 0;
    for (const p of parts) {
      if (p.kind === 'newaxis') {
        outShape.push(1);
        continue;
      }
      const d = x.shape[axis++];
      if (p.kind === 'index') {
        const i = p.index < 0 ? p.index + d : p.index;
        if (i < 0 || i >= d)
          fail(`${label}: index ${p.index} is out of range for an axis of size ${d}`);
        begin.push(i);
        size.push(1);
        steps.push(1);
      } else if (p.kind === 'slice') {
        const r = sliceRange(d, p);
        begin.push(r.begin);
        size.push(r.count);
        steps.push(p.step);
        outShape.push(r.count);
      }
    }
    if (size.some((s) => s === 0)) return tf.zeros(outShape, x.dtype);
    const end = begin.map((b, i) => b + (size[i] - 1) * steps[i] + 1);
    x = steps.every((s) => s === 1)
      ? tf.slice(x, begin, size)
      : tf.stridedSlice(x, begin, end, steps);
    return tf.reshape(x, outShape);
  },
};

const expandDims: OpDefinition = {
  shape: ({ args, config, label }) => {
    const shape = [...shapeOfOperand(args[0], label)];
    shape.splice(resolveAxis(config.axis, shape.length, label, 1), 0, 1);
    return shape;
  },
  run: ({ args, config, label }) => {
    const x = tensorOf(args[0], null, label);
    return tf.expandDims(x, resolveAxis(config.axis, x.rank, label, 1));
  },
};

function squeezeAxes(shape: Shape, config: Record<string, unknown>, label: string): number[] {
  if (config.axis == null) return shape.flatMap((d, i) => (d === 1 ? [i] : []));
  const axes = axesOf(config, shape.length, label);
  for (const a of axes)
    if (shape[a] != null && shape[a] !== 1)
      fail(`${label}: cannot squeeze axis ${a} of size ${String(shape[a])}`);
  return axes;
}

const squeeze: OpDefinition = {
  shape: ({ args, config, label }) => {
    const shape = shapeOfOperand(args[0], label);
    const axes = squeezeAxes(shape, config, label);
    return shape.filter((_, i) => !axes.includes(i));
  },
  run: ({ args, config, label }) => {
    const x = tensorOf(args[0], null, label);
    return tf.squeeze(x, squeezeAxes(x.shape, config, label));
  },
};

const toFloat = (x: tf.Tensor) => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));

/** Operation classes by name (Keras 3 `keras.src.ops`). */
const OPERATIONS: Record<string, OpDefinition> = {
  NotEqual: binary((a, b) => tf.notEqual(a, b)),
  Equal: binary((a, b) => tf.equal(a, b)),
  Greater: binary((a, b) => tf.greater(a, b)),
  GreaterEqual: binary((a, b) => tf.greaterEqual(a, b)),
  Less: binary((a, b) => tf.less(a, b)),
  LessEqual: binary((a, b) => tf.lessEqual(a, b)),
  LogicalAnd: binary((a, b) => tf.logicalAnd(a, b), true),
  LogicalOr: binary((a, b) => tf.logicalOr(a, b), true),
  LogicalNot: unary((x) => tf.logicalNot(tf.cast(x, 'bool'))),
  Add: binary((a, b) => tf.add(a, b)),
  Subtract: binary((a, b) => tf.sub(a, b)),
  Multiply: binary((a, b) => tf.mul(a, b)),
  Divide: binary((a, b) => tf.div(toFloat(a), toFloat(b))),
  TrueDivide: binary((a, b) => tf.div(toFloat(a), toFloat(b))),
  Power: binary((a, b) => tf.pow(a, b)),
  Maximum: binary((a, b) => tf.maximum(a, b)),
  Minimum: binary((a, b) => tf.minimum(a, b)),
  Abs: unary((x) => tf.abs(x)),
  Negative: unary((x) => tf.neg(x)),
  Square: unary((x) => tf.square(x)),
  Sqrt: floatUnary((x) => tf.sqrt(x)),
  Exp: floatUnary((x) => tf.exp(x)),
  Log: floatUnary((x) => tf.log(x)),
  Tanh: floatUnary((x) => tf.tanh(x)),
  Sigmoid: floatUnary((x) => tf.sigmoid(x)),
  Relu: floatUnary((x) => tf.relu(x)),
  Cast: {
    shape: ({ args, label }) => shapeOfOperand(args[0], label),
    run: ({ args, config, label }) =>
      tf.cast(tensorOf(args[0], null, label), castDtype(config, label)),
  },
  Sum: reduction((x, axes, keep) => tf.sum(x, axes, keep)),
  Mean: reduction((x, axes, keep) => tf.mean(toFloat(x), axes, keep)),
  Max: reduction((x, axes, keep) => tf.max(x, axes, keep)),
  Min: reduction((x, axes, keep) => tf.min(x, axes, keep)),
  Any: reduction((x, axes, keep) => tf.any(tf.cast(x, 'bool'), axes, keep)),
  All: reduction((x, axes, keep) => tf.all(tf.cast(x, 'bool'), axes, keep)),
  ExpandDims: expandDims,
  Squeeze: squeeze,
  GetItem: getItem,
};

/** Operation class names that can be loaded. */
export const SUPPORTED_OPERATIONS = Object.keys(OPERATIONS).sort();

/** A graph node that runs one `keras.ops` operation. */
export class OperationNode implements ModelLayer {
  readonly name: string;
  readonly className: string;
  trainable = false;
  private readonly op: OpDefinition;
  private readonly node: NodeSpec;
  private readonly config: Record<string, unknown>;

  constructor(json: LayerJson, nodes: readonly NodeSpec[]) {
    this.name = String(json.config.name);
    this.className = json.class_name;
    const op = Object.hasOwn(OPERATIONS, json.class_name) ? OPERATIONS[json.class_name] : null;
    if (op == null) {
      fail(
        `${this.label}: operation ${describe(json.class_name)} (${String(json.module)}) is not supported (supported: ${SUPPORTED_OPERATIONS.join(', ')})`,
      );
    }
    if (nodes.length !== 1)
      fail(`${this.label}: expected one call of the operation, the config has ${nodes.length}`);
    this.op = op;
    this.node = nodes[0];
    // The dtype of a Cast is its argument; for other operations it is the policy.
    this.config = { ...json.config, ...(this.node.operandKwargs ?? {}) };
    if (json.class_name !== 'Cast') delete this.config.dtype;
  }

  get label(): string {
    return `operation '${this.name}' (${this.className})`;
  }

  private resolve<T>(values: T[]): OpCall<T>['args'] {
    return (this.node.operands ?? []).map((o: Operand) =>
      'input' in o ? values[o.input] : 'inputs' in o ? o.inputs.map((i) => values[i]) : o.value,
    );
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    return [
      this.op.shape({ args: this.resolve(inputShapes), config: this.config, label: this.label }),
    ];
  }

  weightSpecs(): WeightSpec[] {
    return [];
  }

  getWeights(): tf.Tensor[] {
    return [];
  }

  setWeights(weights: tf.Tensor[]): void {
    if (weights.length > 0) fail(`${this.label}: an operation has no weights`);
  }

  call(args: CallArgs): CallResult {
    const out = this.op.run({
      args: this.resolve(args.inputs),
      config: this.config,
      label: this.label,
    });
    return { outputs: [out], masks: [null] };
  }

  paramCount(): number {
    return 0;
  }

  dispose(): void {}
}
