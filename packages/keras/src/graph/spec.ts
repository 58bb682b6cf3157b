/**
 * Model configs in: Sequential and Functional, in the forms written by Keras 2.2, tf.keras 2.x,
 * Keras 3 and tfjs-layers, reduced to one graph description.
 */
import { describe, fail } from '../errors.js';
import type { LayerJson } from '../layers/types.js';

/** One tensor of the graph: output `tensor` of call `node` of layer `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** A positional argument of an operation's call: a tensor input, a list of them, or a constant. */
export type Operand = { input: number } | { inputs: number[] } | { value: unknown };

/** One call of a layer. */
export interface NodeSpec {
  inputs: TensorRef[];
  /** Initial states given to a recurrent layer. */
  initialState: TensorRef[];
  /** Keyword arguments of the call listed in {@link CALL_OPTIONS}, as written. */
  options?: Record<string, unknown>;
  /**
   * Masks passed explicitly (`mask=`), one per input (null where that input gets none); null when
   * the call passes none and the inputs' own masks flow in.
   */
  masks: (TensorRef | null)[] | null;
  /** For an operation (a `keras.ops` call saved as a graph node): its positional arguments. */
  operands: Operand[] | null;
  /** For an operation: the constant keyword arguments of its call. */
  operandKwargs: Record<string, unknown> | null;
}

/** Every tensor a call reads: inputs, initial states and explicit masks. */
export function nodeRefs(node: NodeSpec): TensorRef[] {
  const masks = (node.masks ?? []).filter((m): m is TensorRef => m != null);
  return [...node.inputs, ...node.initialState, ...masks];
}

/**
 * True for an operation saved as a graph node: Keras 3 writes the `keras.ops` calls of a
 * functional model (e.g. the `NotEqual` that computes an `Embedding`'s mask) with a module
 * under `keras.src.ops`.
 */
export function isOperation(json: LayerJson): boolean {
  return typeof json.module === 'string' && /^keras(\.src)?\.ops(\.|$)/.test(json.module);
}

/**
 * Keyword call arguments passed on to the layer, which checks that it accepts them (the
 * attention layers' `use_causal_mask` and `return_attention_scores`).
 */
export const CALL_OPTIONS = ['use_causal_mask', 'return_attention_scores'];

/** Layers whose call takes `query`, `value` and `key` as separate tensor arguments. */
const QUERY_VALUE_KEY = ['MultiHeadAttention'];

/** A layer and its calls. */
export interface LayerSpec {
  name: string;
  json: LayerJson;
  nodes: NodeSpec[];
}

/** The whole model graph. */
export interface ModelSpec {
  name: string;
  /** `Sequential` or `Functional`. */
  className: string;
  layers: LayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v);
}

function layerJson(value: unknown, where: string): LayerJson {
  if (!isObject(value) || typeof value.class_name !== 'string') {
    fail(`model config: ${where} is not a layer ({class_name, config}), got ${describe(value)}`);
  }
  const config = value.config ?? {};
  if (!isObject(config))
    fail(`model config: ${where} (${value.class_name}) has config ${describe(config)}`);
  const name = config.name ?? value.name;
  if (typeof name !== 'string' || name === '') {
    fail(`model config: ${where} (${value.class_name}) has no name`);
  }
  const module = typeof value.module === 'string' ? { module: value.module } : {};
  return { class_name: value.class_name, config: { ...config, name }, ...module };
}

const MODEL_CLASSES = ['Sequential', 'Functional', 'Model'];

/** Parses a Keras model config (`{class_name, config}`) into a {@link ModelSpec}. */
export function parseModelConfig(json: unknown, maxLayers: number): ModelSpec {
  if (!isObject(json) || typeof json.class_name !== 'string') {
    fail(`model config: expected an object with class_name and config, got ${describe(json)}`);
  }
  const cls = json.class_name;
  if (cls === 'Sequential') return parseSequential(json.config, maxLayers);
  if (cls === 'Functional' || cls === 'Model') return parseFunctional(json.config, maxLayers);
  fail(
    `model config: model class ${describe(cls)} is not supported (expected Sequential or Functional)`,
  );
}

function checkNested(json: LayerJson): void {
  if (MODEL_CLASSES.includes(json.class_name)) {
    fail(
      `layer '${String(json.config.name)}' is a nested ${json.class_name} model, which is not supported`,
    );
  }
}

function checkCount(n: number, maxLayers: number): void {
  if (n > maxLayers) fail(`model config: ${n} layers, more than the limit of ${maxLayers}`);
}

function firstInputShape(first: LayerJson, config: Record<string, unknown>): unknown {
  const c = first.config;
  if (c.batch_shape != null) return c.batch_shape;
  if (c.batch_input_shape != null) return c.batch_input_shape;
  if (Array.isArray(c.input_shape)) return [null, ...c.input_shape];
  if (config.build_input_shape != null) return config.build_input_shape;
  const build = isObject(config.build_config) ? config.build_config.input_shape : undefined;
  return build ?? null;
}

function parseSequential(config: unknown, maxLayers: number): ModelSpec {
  // Keras 2.0/2.1 stored the layer list as the config itself.
  const cfg: Record<string, unknown> = Array.isArray(config)
    ? { layers: config }
    : isObject(config)
      ? config
      : {};
  const raw = cfg.layers;
  if (!Array.isArray(raw) || raw.length === 0) fail(`model config: Sequential has no layers`);
  checkCount(raw.length, maxLayers);
  const layers = raw.map((l, i) => layerJson(l, `layer ${i}`));
  layers.forEach(checkNested);
  const name = typeof cfg.name === 'string' ? cfg.name : 'sequential';
  if (layers[0].class_name !== 'InputLayer') {
    const shape = firstInputShape(layers[0], cfg);
    if (shape == null) {
      fail(
        `model config: the Sequential model has no input shape (no InputLayer and no batch_input_shape on its first layer)`,
      );
    }
    const dtype = layers[0].config.dtype;
    layers.unshift({
      class_name: 'InputLayer',
      config: {
        name: `${String(layers[0].config.name)}_input`,
        batch_shape: shape,
        ...(typeof dtype === 'string' ? { dtype } : {}),
      },
    });
  }
  const specs: LayerSpec[] = layers.map((json, i) => ({
    name: String(json.config.name),
    json,
    nodes:
      i === 0
        ? []
        : [
            {
              ...emptyNode(),
              inputs: [{ layer: String(layers[i - 1].config.name), node: 0, tensor: 0 }],
            },
          ],
  }));
  checkUnique(specs);
  return {
    name,
    className: 'Sequential',
    layers: specs,
    inputs: [{ layer: specs[0].name, node: 0, tensor: 0 }],
    outputs: [{ layer: specs[specs.length - 1].name, node: 0, tensor: 0 }],
  };
}

function checkUnique(specs: LayerSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) fail(`model config: two layers are named '${s.name}'`);
    seen.add(s.name);
  }
}

function isRef(v: unknown): v is [string, number, number, ...unknown[]] {
  return (
    Array.isArray(v) &&
    v.length >= 3 &&
    typeof v[0] === 'string' &&
    Number.isInteger(v[1]) &&
    Number.isInteger(v[2]) &&
    (v[1] as number) >= 0 &&
    (v[2] as number) >= 0
  );
}

function toRef(v: [string, number, number, ...unknown[]]): TensorRef {
  return { layer: v[0], node: v[1], tensor: v[2] };
}

/** `input_layers` / `output_layers`: a list of refs, one ref, or (Keras 3) a dict of refs. */
function parseRefList(value: unknown, what: string): TensorRef[] {
  if (isRef(value)) return [toRef(value)];
  const list = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : null;
  if (list == null || list.length === 0 || !list.every(isRef)) {
    fail(`model config: ${what} must list [layer, node, tensor] entries, got ${describe(value)}`);
  }
  return list.map(toRef);
}

function isKerasTensor(v: unknown): v is { config: { keras_history: unknown } } {
  return isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config);
}

function kerasTensorRef(v: { config: { keras_history: unknown } }, where: string): TensorRef {
  const h = v.config.keras_history;
  if (!isRef(h))
    fail(`model config: ${where} has a tensor without a valid keras_history (${describe(h)})`);
  return toRef(h);
}

/** Tensors in a (possibly nested) argument; anything else is unsupported. */
function collectTensors(value: unknown, where: string): TensorRef[] {
  if (isKerasTensor(value)) return [kerasTensorRef(value, where)];
  if (Array.isArray(value)) return value.flatMap((v) => collectTensors(v, where));
  fail(`model config: ${where} passes ${describe(value)}, which is not supported (only tensors)`);
}

/** A call that reads nothing yet. */
export function emptyNode(): NodeSpec {
  return { inputs: [], initialState: [], masks: null, operands: null, operandKwargs: null };
}

/** True when a value holds a tensor anywhere inside. */
function holdsTensor(value: unknown): boolean {
  if (isKerasTensor(value)) return true;
  return Array.isArray(value) && value.some(holdsTensor);
}

/**
 * The `mask=` argument of a call: one tensor, or one entry per input where `null` means none
 * (Keras 3 writes `[null, null]` for a two-input call without masks).
 */
function parseMaskArgument(value: unknown, inputs: number, where: string): NodeSpec['masks'] {
  if (!holdsTensor(value)) return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length !== inputs) {
    fail(
      `model config: ${where} passes ${list.length} mask(s) for ${inputs} input(s); expected one per input`,
    );
  }
  return list.map((m) => (m == null ? null : kerasTensorRef(m as never, `${where} mask`)));
}

/** The positional arguments of an operation's call, tensors numbered in order. */
function parseOperands(
  args: unknown[],
  where: string,
): { inputs: TensorRef[]; operands: Operand[] } {
  const inputs: TensorRef[] = [];
  const operands = args.map((arg): Operand => {
    if (isKerasTensor(arg)) {
      inputs.push(kerasTensorRef(arg, where));
      return { input: inputs.length - 1 };
    }
    if (Array.isArray(arg) && arg.length > 0 && arg.every(isKerasTensor)) {
      const first = inputs.length;
      inputs.push(...arg.map((t) => kerasTensorRef(t, where)));
      return { inputs: arg.map((_, i) => first + i) };
    }
    if (holdsTensor(arg))
      fail(
        `model config: ${where} mixes tensors and constants in one argument, which is not supported`,
      );
    return { value: arg };
  });
  return { inputs, operands };
}

/** One tensor argument (`query`, `value`, `key`); null when absent. */
function singleTensor(value: unknown, where: string): TensorRef | null {
  if (value == null) return null;
  const refs = collectTensors(value, where);
  if (refs.length !== 1) fail(`model config: ${where} must be one tensor, got ${describe(value)}`);
  return refs[0];
}

/** `layer(query, value, key=None)` with each given by position or by name: inputs in that order. */
function queryValueKeyInputs(
  args: unknown[],
  kwargs: Record<string, unknown>,
  where: string,
): TensorRef[] {
  if (args.length > 3)
    fail(`model config: ${where} passes ${args.length} positional arguments; expected at most 3`);
  const names = ['query', 'value', 'key'];
  const refs = names.map((name, i) =>
    singleTensor(kwargs[name] ?? args[i], `${where} argument '${name}'`),
  );
  if (refs[0] == null || refs[1] == null)
    fail(`model config: ${where} must pass a query and a value tensor`);
  return refs.filter((r): r is TensorRef => r != null);
}

/** Records a call option; each is a boolean in Keras. */
function setCallOption(spec: NodeSpec, key: string, value: unknown, where: string): void {
  if (typeof value !== 'boolean')
    fail(
      `model config: ${where} passes argument '${key}' = ${describe(value)}; expected a boolean`,
    );
  (spec.options ??= {})[key] = value;
}

/** Keras 3 node: `{args: [...], kwargs: {...}}`. */
function parseKeras3Node(
  node: Record<string, unknown>,
  where: string,
  className: string,
  operation: boolean,
): NodeSpec {
  const args = node.args ?? [];
  if (!Array.isArray(args)) fail(`model config: ${where} has args ${describe(args)}`);
  const kwargs = isObject(node.kwargs) ? node.kwargs : {};
  if (operation) {
    const { inputs, operands } = parseOperands(args, where);
    const operandKwargs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(kwargs)) {
      if (holdsTensor(value))
        fail(`model config: ${where} passes a tensor as '${key}', which is not supported`);
      operandKwargs[key] = value;
    }
    return { ...emptyNode(), inputs, operands, operandKwargs };
  }
  const separateTensors = QUERY_VALUE_KEY.includes(className);
  if (args.length > 1 && !separateTensors)
    fail(
      `model config: ${where} passes ${args.length} positional arguments; only one (the inputs) is supported`,
    );
  const inputs = separateTensors
    ? queryValueKeyInputs(args, kwargs, where)
    : args.length === 1
      ? collectTensors(args[0], where)
      : [];
  let initialState: TensorRef[] = [];
  const spec: NodeSpec = { ...emptyNode(), inputs, initialState };
  // MultiHeadAttention names each input's mask (query_mask, value_mask, key_mask).
  const namedMasks = separateTensors
    ? ['query_mask', 'value_mask', 'key_mask']
        .slice(0, inputs.length)
        .map((k) => (holdsTensor(kwargs[k]) ? kwargs[k] : null))
    : null;
  if (namedMasks?.some((m) => m != null))
    spec.masks = parseMaskArgument(namedMasks, inputs.length, where);
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === 'training' || value == null) continue;
    if (separateTensors && ['query', 'value', 'key'].includes(key)) continue;
    if (separateTensors && ['query_mask', 'value_mask', 'key_mask'].includes(key)) continue;
    if (CALL_OPTIONS.includes(key)) {
      setCallOption(spec, key, value, where);
      continue;
    }
    if (key === 'initial_state') {
      initialState = collectTensors(value, `${where} initial_state`);
      continue;
    }
    if (key === 'mask') {
      spec.masks = parseMaskArgument(value, inputs.length, where);
      continue;
    }
    fail(
      `model config: ${where} passes argument '${key}' = ${describe(value)}, which is not supported`,
    );
  }
  spec.initialState = initialState;
  return spec;
}

/** Keras 2 node: `[[layer, node, tensor, kwargs], ...]`; extra inputs of an RNN are its initial states. */
function parseLegacyNode(node: unknown[], where: string, className: string): NodeSpec {
  const refs: TensorRef[] = [];
  const spec: NodeSpec = { ...emptyNode(), inputs: refs };
  let maskValue: unknown = null;
  const separateTensors = QUERY_VALUE_KEY.includes(className);
  // tf.keras writes the call's keyword arguments on each entry, tensors as [layer, node, index].
  const named: TensorRef[] = [];
  for (const entry of node) {
    if (!isRef(entry)) fail(`model config: ${where} has an inbound entry ${describe(entry)}`);
    const kwargs = entry[3];
    if (isObject(kwargs)) {
      for (const [key, value] of Object.entries(kwargs)) {
        if (key === 'training' || value == null) continue;
        if (CALL_OPTIONS.includes(key)) {
          setCallOption(spec, key, value, where);
          continue;
        }
        if (key === 'mask') {
          maskValue = value;
          continue;
        }
        if (separateTensors && (key === 'value' || key === 'key') && entry === node[0]) {
          if (!isRef(value))
            fail(
              `model config: ${where} argument '${key}' must be a tensor, got ${describe(value)}`,
            );
          named[key === 'value' ? 0 : 1] = toRef(value);
          continue;
        }
        fail(
          `model config: ${where} passes argument '${key}' = ${describe(value)}, which is not supported`,
        );
      }
    }
    refs.push(toRef(entry));
  }
  if (separateTensors) {
    if (refs.length !== 1 || named[0] == null)
      fail(`model config: ${where} must pass one query and a value tensor`);
    refs.push(...named.filter((r) => r != null));
  }
  const recurrent = ['SimpleRNN', 'LSTM', 'GRU', 'RNN', 'Bidirectional'].includes(className);
  if (recurrent && refs.length > 1) {
    spec.inputs = refs.slice(0, 1);
    spec.initialState = refs.slice(1);
  }
  spec.masks = legacyMasks(maskValue, spec.inputs.length, where);
  return spec;
}

/** A tf.keras 2 `mask` keyword argument: one history entry, or one (or null) per input. */
function legacyMasks(value: unknown, inputs: number, where: string): NodeSpec['masks'] {
  if (value == null) return null;
  const list = isRef(value) ? [value] : Array.isArray(value) ? value : null;
  if (list == null || !list.every((m) => m == null || isRef(m))) {
    fail(`model config: ${where} passes mask ${describe(value)}; expected tensors`);
  }
  if (list.every((m) => m == null)) return null;
  if (list.length !== inputs) {
    fail(
      `model config: ${where} passes ${list.length} mask(s) for ${inputs} input(s); expected one per input`,
    );
  }
  return list.map((m) => (m == null ? null : toRef(m as [string, number, number])));
}

function parseFunctional(config: unknown, maxLayers: number): ModelSpec {
  if (!isObject(config)) fail(`model config: Functional config is ${describe(config)}`);
  const raw = config.layers;
  if (!Array.isArray(raw) || raw.length === 0) fail(`model config: Functional model has no layers`);
  checkCount(raw.length, maxLayers);
  const specs: LayerSpec[] = raw.map((l, i) => {
    const json = layerJson(l, `layer ${i}`);
    checkNested(json);
    const name = String(json.config.name);
    const inbound = (l as Record<string, unknown>).inbound_nodes ?? [];
    if (!Array.isArray(inbound))
      fail(`model config: layer '${name}' has inbound_nodes ${describe(inbound)}`);
    const nodes = inbound.map((node, k) => {
      const where = `layer '${name}' call ${k}`;
      if (isObject(node)) return parseKeras3Node(node, where, json.class_name, isOperation(json));
      if (Array.isArray(node)) return parseLegacyNode(node, where, json.class_name);
      fail(`model config: ${where} is ${describe(node)}`);
    });
    return { name, json, nodes };
  });
  checkUnique(specs);
  const inputs = parseRefList(config.input_layers, 'input_layers');
  const outputs = parseRefList(config.output_layers, 'output_layers');
  return {
    name: typeof config.name === 'string' ? config.name : 'model',
    className: 'Functional',
    layers: specs,
    inputs,
    outputs,
  };
}
