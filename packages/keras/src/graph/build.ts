/**
 * Turns a {@link ModelSpec} into layers: creates each layer, infers every node's output shapes
 * in dependency order, and checks and sets the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { InputLayer } from '../layers/input_layer.js';
import { createLayer } from '../layers/registry.js';
import { fits } from '../layers/shapes.js';
import type { LayerContext, ModelLayer, Shape } from '../layers/types.js';
import {
  emptyNode,
  nodeRefs,
  type LayerSpec,
  type ModelSpec,
  type NodeSpec,
  type TensorRef,
} from './spec.js';
import type { LayerWeights } from './weights.js';

/** One call of a layer, ready to run. */
export interface GraphNode {
  key: string;
  layer: ModelLayer;
  spec: NodeSpec;
  inputShapes: Shape[];
  outputShapes: Shape[];
}

/** A built graph. */
export interface Graph {
  layers: Map<string, ModelLayer>;
  specs: Map<string, LayerSpec>;
  /** Every node, in an order where inputs come first. */
  order: GraphNode[];
  nodes: Map<string, GraphNode>;
  inputs: { ref: TensorRef; layer: InputLayer }[];
}

/** Key of a layer call. */
export function nodeKey(layer: string, node: number): string {
  return `${layer}#${node}`;
}

/** Keys of the nodes the `wanted` tensors depend on (themselves included). */
export function neededNodes(graph: Graph, wanted: readonly TensorRef[]): Set<string> {
  const needed = new Set<string>();
  const stack = wanted.map((r) => nodeKey(r.layer, r.node));
  while (stack.length > 0) {
    const key = stack.pop() as string;
    if (needed.has(key)) continue;
    needed.add(key);
    const node = graph.nodes.get(key) as GraphNode;
    for (const r of nodeRefs(node.spec)) stack.push(nodeKey(r.layer, r.node));
  }
  return needed;
}

function nodeCount(spec: LayerSpec): number {
  return spec.json.class_name === 'InputLayer' ? 1 : spec.nodes.length;
}

function inputNode(): NodeSpec {
  return emptyNode();
}

/** Refuses keyword call arguments the layer does not take. */
function checkCallOptions(layer: ModelLayer, node: NodeSpec, index: number): void {
  for (const [key, value] of Object.entries(node.options ?? {})) {
    if (!(layer.callOptions ?? []).includes(key))
      fail(
        `model config: layer '${layer.name}' (${layer.className}) call ${index} passes argument '${key}' = ${describe(value)}, which is not supported`,
      );
  }
}

/** Builds the layers and shapes of a model; weights are set by {@link bindWeights}. */
export function buildGraph(model: ModelSpec, ctx: LayerContext): Graph {
  const specs = new Map(model.layers.map((s) => [s.name, s]));
  const layers = new Map<string, ModelLayer>();
  const disposeAll = () => layers.forEach((l) => l.dispose());
  try {
    for (const spec of model.layers) layers.set(spec.name, createLayer(spec.json, ctx, spec.nodes));
    const checkRef = (ref: TensorRef, where: string) => {
      const target = specs.get(ref.layer);
      if (target == null) fail(`model config: ${where} refers to unknown layer '${ref.layer}'`);
      if (ref.node >= nodeCount(target))
        fail(
          `model config: ${where} refers to call ${ref.node} of '${ref.layer}', which has ${nodeCount(target)}`,
        );
    };
    for (const spec of model.layers) {
      if (spec.json.class_name !== 'InputLayer' && spec.nodes.length === 0) {
        fail(`model config: layer '${spec.name}' (${spec.json.class_name}) is never called`);
      }
      spec.nodes.forEach((n, k) =>
        nodeRefs(n).forEach((r) => checkRef(r, `layer '${spec.name}' call ${k}`)),
      );
    }
    model.inputs.forEach((r) => checkRef(r, 'input_layers'));
    model.outputs.forEach((r) => checkRef(r, 'output_layers'));
    const inputs = model.inputs.map((ref) => {
      const layer = layers.get(ref.layer);
      if (!(layer instanceof InputLayer))
        fail(`model config: model input '${ref.layer}' is not an InputLayer`);
      return { ref, layer };
    });

    // Shapes in dependency order: passes over the pending calls until none is left.
    const nodes = new Map<string, GraphNode>();
    const order: GraphNode[] = [];
    let pending = model.layers.flatMap((spec) =>
      (spec.json.class_name === 'InputLayer' ? [inputNode()] : spec.nodes).map((n, k) => ({
        spec,
        n,
        k,
      })),
    );
    while (pending.length > 0) {
      const next: typeof pending = [];
      for (const item of pending) {
        const refs = nodeRefs(item.n);
        if (!refs.every((r) => nodes.has(nodeKey(r.layer, r.node)))) {
          next.push(item);
          continue;
        }
        const shapeOf = (r: TensorRef): Shape => {
          const source = nodes.get(nodeKey(r.layer, r.node)) as GraphNode;
          const shape = source.outputShapes[r.tensor];
          if (shape == null) {
            fail(
              `model config: layer '${item.spec.name}' reads output ${r.tensor} of '${r.layer}', which has ${source.outputShapes.length}`,
            );
          }
          return shape;
        };
        const layer = layers.get(item.spec.name) as ModelLayer;
        const inputShapes = item.n.inputs.map(shapeOf);
        item.n.initialState.forEach(shapeOf);
        item.n.masks?.forEach((r, i) => {
          if (r == null) return;
          const mask = shapeOf(r);
          const input = inputShapes[i];
          // A mask covers the batch and time axes of its input.
          const fitsInput =
            mask.length === 2 &&
            input.length >= 2 &&
            [0, 1].every((a) => mask[a] == null || input[a] == null || mask[a] === input[a]);
          if (!fitsInput) {
            fail(
              `model config: layer '${item.spec.name}' call ${item.k} gets mask ${formatShape(mask)} for input ${formatShape(input)}; expected (batch, time) of that input`,
            );
          }
        });
        checkCallOptions(layer, item.n, item.k);
        const node: GraphNode = {
          key: nodeKey(item.spec.name, item.k),
          layer,
          spec: item.n,
          inputShapes,
          outputShapes: layer.outputShapes(inputShapes, item.n.options),
        };
        nodes.set(node.key, node);
        order.push(node);
      }
      if (next.length === pending.length) {
        fail(
          `model config: layers ${next
            .slice(0, 5)
            .map((p) => `'${p.spec.name}'`)
            .join(', ')} depend on each other in a cycle`,
        );
      }
      pending = next;
    }
    return { layers, specs, order, nodes, inputs };
  } catch (e) {
    disposeAll();
    throw e;
  }
}

/** Checks each layer's weights against what its config and input shapes imply, then sets them. */
export function bindWeights(graph: Graph, weights: LayerWeights): void {
  for (const [name, layer] of graph.layers) {
    const first = graph.nodes.get(nodeKey(name, 0));
    if (first == null) continue;
    const expected = layer.weightSpecs(first.inputShapes);
    const given = weights.get(name) ?? [];
    const label = `layer '${name}' (${layer.className})`;
    if (expected != null) {
      if (given.length !== expected.length) {
        fail(
          `${label}: expected ${expected.length} weight(s) (${expected.map((w) => `${w.name} ${formatShape(w.shape)}`).join(', ') || 'none'}), the file has ${given.length}${given.length > 0 ? ` (${given.map((w) => `'${w.name}' ${formatShape(w.shape)}`).join(', ')})` : ''}`,
        );
      }
      expected.forEach((spec, i) => {
        if (!fits(given[i].shape, spec.shape)) {
          fail(
            `${label}: weight '${given[i].name}' has shape ${formatShape(given[i].shape)}; expected ${spec.name} of shape ${formatShape(spec.shape)}`,
          );
        }
      });
    } else if (given.length === 0) {
      fail(`${label}: the file has no weights for this layer`);
    }
    if (expected == null || expected.length > 0) {
      for (const w of given) {
        if (!(w.data instanceof Float32Array || w.data instanceof Float64Array)) {
          fail(`${label}: weight '${w.name}' holds integers; expected floating-point values`);
        }
      }
      const tensors = given.map((w) =>
        tf.tensor(
          w.data instanceof Float32Array ? w.data : Float32Array.from(w.data),
          w.shape,
          'float32',
        ),
      );
      layer.setWeights(tensors);
    }
  }
}
