/**
 * `fitModel`: trains a loaded Keras model with the training loop of `@rnnkit/core/training`. Each
 * trainable layer's weights become tf.Variables for the run; every forward pass hands the layers
 * copies of them taken on the gradient tape, so Dense, Embedding, convolutions,
 * BatchNormalization (batch statistics, moving statistics updated with `momentum`), recurrent
 * layers and the wrappers around them train with Keras's `fit` semantics. Layers frozen by the
 * config's `trainable: false` or by `KerasModel.setTrainable` keep their weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  checkFitOptions,
  checkTargetShape,
  runFit,
  type DifferentiableModel,
  type FitHistory,
  type FitOptions,
} from '@rnnkit/core/training';
import { describe, fail, messageOf } from '../errors.js';
import { neededNodes, nodeKey, type GraphNode } from '../graph/build.js';
import { nodeRefs } from '../graph/spec.js';
import type { CallArgs, LayerJson, ModelLayer } from '../layers/types.js';
import type { KerasModel, ModelInput, ModelInternals } from '../model.js';
import { penaltyLoss, weightPenalties, type Penalty } from './regularizers.js';

/** A layer trained by one `fitModel` call: its variables stand for its flagged weights. */
interface TrainedLayer {
  layer: ModelLayer;
  /** Per weight (Keras order): trained (a variable) or kept (moving statistics). */
  flags: boolean[];
  variables: tf.Variable[];
  /** The regularizer of each variable (null where none). */
  penalties: (Penalty | null)[];
}

function obj(value: unknown): Record<string, unknown> {
  return value != null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * The config declaring each weight's options (regularizers): a wrapper's wrapped layers' (each
 * Bidirectional direction its own), a generic RNN's cell's, otherwise the layer's own.
 */
function weightConfigs(json: LayerJson, count: number): Record<string, unknown>[] {
  const config = obj(json.config);
  if (json.class_name === 'TimeDistributed') return weightConfigs(config.layer as LayerJson, count);
  if (json.class_name === 'Bidirectional') {
    const half = count / 2;
    const forward = config.layer as LayerJson;
    const backward = (config.backward_layer as LayerJson | undefined) ?? forward;
    return [...weightConfigs(forward, half), ...weightConfigs(backward, count - half)];
  }
  const cell = obj(config.cell);
  if (json.class_name === 'RNN' && cell.config != null) return Array(count).fill(obj(cell.config));
  return Array(count).fill(config);
}

/** The regularizer of each weight of a layer to be trained (checked before training starts). */
function layerPenalties(m: ModelInternals, node: GraphNode): (Penalty | null)[] {
  const specs = node.layer.weightSpecs(node.inputShapes);
  const weights = node.layer.getWeights();
  // Bidirectional names its weights `forward_kernel`, …; the options name `kernel`.
  const names = weights.map((_, i) =>
    ((specs?.[i]?.name ?? '').split('/').pop() as string).replace(/^(forward|backward)_/, ''),
  );
  tf.dispose(weights);
  const json = m.graph.specs.get(node.layer.name)?.json as LayerJson;
  const label = `layer '${node.layer.name}' (${node.layer.className})`;
  return weightPenalties(label, names, weightConfigs(json, names.length));
}

/** The layers whose weights this run trains, with their variables (created here). */
function trainedLayers(
  layers: ModelLayer[],
  penalties: Map<ModelLayer, (Penalty | null)[]>,
): TrainedLayer[] {
  const out: TrainedLayer[] = [];
  for (const layer of layers) {
    if (!layer.trainable) continue;
    const weights = layer.getWeights();
    const flags = layer.trainableFlags?.() ?? weights.map(() => true);
    const variables = weights.filter((_, i) => flags[i]).map((w) => tf.variable(w));
    const own = penalties.get(layer) ?? [];
    tf.dispose(weights);
    if (variables.length > 0)
      out.push({ layer, flags, variables, penalties: own.filter((_, i) => flags[i]) });
  }
  return out;
}

/** Hands each trained layer copies of its variables (on the gradient tape when recording). */
function assign(trained: TrainedLayer[]): void {
  for (const { layer, flags, variables } of trained) {
    if (flags.every((f) => f)) {
      layer.setWeights(variables.map((v) => v.clone()));
      continue;
    }
    let k = 0;
    const merged = layer.getWeights().map((w, i) => {
      if (!flags[i]) return w;
      w.dispose();
      return variables[k++].clone();
    });
    layer.setWeights(merged);
  }
}

/**
 * One gradient on the first sample (inference mode: no statistics move), so that a backend
 * without a kernel a gradient needs (tfjs's wasm backend has none for an Embedding's or a
 * convolution's) refuses before the first step rather than during it.
 */
function checkGradients(name: string, model: DifferentiableModel, inputs: tf.Tensor[]): void {
  if (model.variables.length === 0) return;
  try {
    tf.tidy(() => {
      const sample = inputs.map((t) => tf.slice(t, 0, 1));
      tf.valueAndGrads(() => tf.mean(tf.square(model.forward(sample, false))))(model.variables);
    });
  } catch (e) {
    fail(`fit: model '${name}' cannot be trained on backend '${tf.getBackend()}': ${messageOf(e)}`);
  }
}

/**
 * Trains `model` on `x` → `y` as Keras's `model.fit` does: `x` as `predict` takes it (one tensor,
 * a list in input order, or a record by input name), `y` of the model's output shape; the model's
 * one output is compared with `y` by `loss` (default `mean_squared_error`) and the optimizer
 * (default Adam) steps once per batch. Dropout and noise layers and recurrent dropout act, and
 * trainable BatchNormalization layers use batch statistics and update their moving statistics,
 * as in Keras's training mode; the validation loss is computed in inference mode.
 *
 * Everything is checked before any weight changes, with a message naming the argument or the
 * layer: the options, `x` and `y` (counts and shapes), a model with several outputs or a masked
 * output, a trainable layer with a constraint, an activity regularizer or a weight regularizer
 * other than L1, L2 and L1L2 (those are added to the loss, as Keras does), a
 * layer whose training behaviour is not supported (AlphaDropout, attention dropout, stateful
 * recurrent layers, BatchNormalization with renorm) and a registered custom layer that cannot be
 * differentiated. Import it from `@rnnkit/keras/training`, which registers the gradients.
 */
export async function fitModel(
  model: KerasModel,
  x: ModelInput,
  y: tf.Tensor,
  options: FitOptions = {},
): Promise<FitHistory> {
  const m = model.internals();
  if (m.spec.outputs.length !== 1) {
    fail(
      `fit: model '${model.name}' has ${m.spec.outputs.length} outputs (${m.spec.outputs.map((r) => r.layer).join(', ')}); expected a model with one output`,
    );
  }
  if (!(y instanceof tf.Tensor)) fail(`fit: y: expected a tensor, got ${describe(y)}`);
  const inputs = m.prepareInputs(x, 'fit: x');
  const given = Array.isArray(x) ? x : x instanceof tf.Tensor ? [x] : Object.values(x);
  const converted = inputs.filter((t) => !given.includes(t));
  let trained: TrainedLayer[] = [];
  try {
    const settings = checkFitOptions(inputs, y, options);
    const output = m.spec.outputs[0];
    const needed = neededNodes(m.graph, [output]);
    const nodes = m.graph.order.filter((n) => needed.has(n.key));
    // Keras adds the regularizers of trainable weights to the loss.
    const penalties = new Map<ModelLayer, (Penalty | null)[]>();
    for (const node of nodes) {
      if (node.layer.trainable && !penalties.has(node.layer))
        penalties.set(node.layer, layerPenalties(m, node));
    }
    // Calls that gradients must pass through: trainable weights of their own, or fed by a
    // layer that has them.
    const gradients = new Set<string>();
    for (const node of nodes) {
      const own = node.layer.trainable && node.layer.paramCount() > 0;
      const fed = nodeRefs(node.spec).some((r) => gradients.has(nodeKey(r.layer, r.node)));
      if (own || fed) gradients.add(node.key);
    }
    const outputKey = nodeKey(output.layer, output.node);
    const forwardWith = (xs: tf.Tensor[], call: Partial<CallArgs>): tf.Tensor => {
      const values = m.run(xs, [output], (node, args) =>
        node.layer.call({ ...args, ...call, needsGradients: gradients.has(node.key) }),
      );
      const result = values.get(outputKey);
      const out = result?.outputs[output.tensor];
      if (out == null) fail(`layer '${output.layer}' produced no output ${output.tensor}`);
      if (result?.masks[output.tensor] != null && call.dryRun === true)
        fail(
          `fit: model '${model.name}': its output '${output.layer}' carries a mask (Keras would mask the loss), which is not supported; expected an unmasked output`,
        );
      return out;
    };
    // The dry run refuses what cannot be trained, and checks y against the output.
    checkTargetShape(
      { variables: [], forward: (xs) => forwardWith(xs, { training: true, dryRun: true }) },
      inputs,
      y,
    );
    trained = trainedLayers([...new Set(nodes.map((n) => n.layer))], penalties);
    const terms = trained.flatMap((t) =>
      t.variables.flatMap((weight, i) => {
        const penalty = t.penalties[i];
        return penalty == null ? [] : [{ weight, penalty }];
      }),
    );
    const differentiable: DifferentiableModel = {
      variables: trained.flatMap((t) => t.variables),
      penalty: () => penaltyLoss(terms),
      forward: (xs, training) => {
        assign(trained);
        return forwardWith(xs, { training });
      },
    };
    checkGradients(model.name, differentiable, inputs);
    return await runFit(differentiable, inputs, y, settings, options.onEpochEnd);
  } finally {
    // The layers keep copies of the final values.
    if (trained.length > 0) {
      assign(trained);
      tf.dispose(trained.flatMap((t) => t.variables));
    }
    tf.dispose(converted);
  }
}
