/** `@tensorflow/tfjs-layers` 4.22 with the same weights, on the same tfjs backend as rnnkit's runner. */
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import {
  useBackend,
  type BenchEnv,
  type DispatchCounter,
  type TfBackendName,
} from '../tfjs_env.js';
import { isConv } from '../data.js';
import { frameOf, inputShape } from '../workloads.js';
import { stepRows, steppedPrepared } from './stepping.js';
import { tfjsPrepared, weightTensors } from './tfjs_common.js';
import { checkedGradients, trainingLoss, gradientScale } from './training.js';
import type { PreparedRun, Runner, WorkloadData } from './types.js';

/** The kernels of a convolution's gradients, which tfjs-layers' ConvLSTM2D training runs. */
const CONV_GRADIENT_KERNELS = ['Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const;

/** The tfjs-layers runner for `backend`. */
export function tfjsLayersRunner(env: BenchEnv, backend: TfBackendName): Runner {
  const setup = env.backends[backend];
  return {
    id: `tfjs-layers-${backend}`,
    family: 'tfjs-layers',
    backend,
    unavailable: setup.tfjsReady ? undefined : (setup.tfjsReason ?? 'unavailable'),
    async prepare(data) {
      const { cell, bidirectional, units } = data.workload;
      if (cell === 'gru')
        return { skip: 'n/a: tfjs-layers 4.22 has no GRU reset_after (Keras default)' };
      await useBackend(backend);
      if (isConv(cell) && data.workload.train === true) {
        const missing = CONV_GRADIENT_KERNELS.find((k) => tf.getKernel(k, backend) == null);
        if (missing != null)
          return {
            skip: `n/a: tfjs's ${backend} backend has no ${missing} kernel (conv training)`,
          };
      }
      if (isConv(cell)) return convLstm2dPrepared(data, backend, setup.dispatches);
      if (data.workload.stepping != null) return statefulPredictPrepared(data, backend);
      // tfjs-layers defaults differ from Keras (hardSigmoid gates): set the Keras activation.
      // Initializers are zeros only to skip the slow orthogonal init; setWeights overwrites them.
      const train = data.workload.train === true;
      const args = {
        units,
        returnSequences: train,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        biasInitializer: 'zeros',
      } as const;
      // tfjs-layers' GRU is Keras's reset_after=False.
      const rnn = cell === 'lstm' ? tfl.layers.lstm(args) : tfl.layers.gru(args);
      const layer = bidirectional
        ? tfl.layers.bidirectional({ layer: rnn, mergeMode: 'concat' })
        : rnn;
      // Build by one concrete call: `build()` alone leaves tfjs-layers' `built` flag unset, so
      // the first timed call would build again (duplicate weights), and dispose() would refuse.
      tf.tidy(() => {
        layer.apply(tf.zeros([1, ...inputShape(data.workload).slice(1)]));
      });
      const weights = weightTensors(data);
      layer.setWeights(weights);
      for (const w of weights) w.dispose(); // setWeights copies the values
      const forward = (x: tf.Tensor): tf.Tensor => layer.apply(x) as tf.Tensor;
      const gradients = trainingGradients(layer, forward);
      return tfjsPrepared(data, {
        backend,
        apply: train ? gradients : forward,
        checked: train ? checkedTrainingGradients(data, gradients) : undefined,
        dispatches: setup.dispatches,
        disposeModel: () => {
          layer.dispose();
        },
      });
    },
  };
}

/**
 * A streaming workload on tfjs-layers: a stateful LSTM or GRU (Keras activations) in a
 * sequential model, `predict` on `[B, 1, D]` per step, states carried by the model.
 */
async function statefulPredictPrepared(
  data: WorkloadData,
  backend: TfBackendName,
): Promise<PreparedRun> {
  const { cell, units, batch, input } = data.workload;
  const args = {
    units,
    returnSequences: false,
    stateful: true,
    batchInputShape: [batch, 1, input] as number[],
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
    biasInitializer: 'zeros',
  } as const;
  const rnn = cell === 'lstm' ? tfl.layers.lstm(args) : tfl.layers.gru(args);
  const model = tfl.sequential({ layers: [rnn] });
  const weights = weightTensors(data);
  model.setWeights(weights);
  for (const w of weights) w.dispose();
  const xs = stepRows(data).map((r) => tf.tensor3d(r, [batch, 1, input]));
  return steppedPrepared(data, {
    activate: () => useBackend(backend),
    reset: () => model.resetStates(),
    step: async (t) => {
      const y = model.predict(xs[t], { batchSize: batch }) as tf.Tensor;
      const values = (await y.data()) as Float32Array;
      y.dispose();
      return values;
    },
    dispose: () => {
      model.dispose();
      xs.forEach((x) => x.dispose());
    },
  });
}

/**
 * tfjs-layers' ConvLSTM2D with every argument set to Keras's (its defaults differ: hardSigmoid
 * gates); initializers are zeros only to skip the init work, setWeights overwrites them.
 */
async function convLstm2dPrepared(
  data: WorkloadData,
  backend: TfBackendName,
  dispatches: DispatchCounter | undefined,
): Promise<PreparedRun> {
  const { kernel } = frameOf(data.workload);
  const train = data.workload.train === true;
  const layer = tfl.layers.convLstm2d({
    filters: data.workload.units,
    kernelSize: kernel,
    strides: 1,
    padding: 'same',
    dataFormat: 'channelsLast',
    dilationRate: 1,
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    useBias: true,
    unitForgetBias: true,
    dropout: 0,
    recurrentDropout: 0,
    returnSequences: train,
    returnState: false,
    goBackwards: false,
    stateful: false,
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
    biasInitializer: 'zeros',
  });
  tf.tidy(() => {
    layer.apply(tf.zeros([1, ...inputShape(data.workload).slice(1)]));
  });
  const weights = weightTensors(data);
  layer.setWeights(weights);
  for (const w of weights) w.dispose();
  const forward = (x: tf.Tensor): tf.Tensor => layer.apply(x) as tf.Tensor;
  const gradients = trainingGradients(layer, forward);
  return tfjsPrepared(data, {
    backend,
    apply: train ? gradients : forward,
    checked: train ? checkedTrainingGradients(data, gradients) : undefined,
    dispatches,
    disposeModel: () => layer.dispose(),
  });
}

/**
 * A training step of a tfjs-layers layer: the gradients of the training loss w.r.t. the layer's
 * own variables, in get_weights() order, flattened and concatenated.
 */
function trainingGradients(
  layer: tfl.layers.Layer,
  forward: (x: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  return (x) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => trainingLoss(forward(x)), variables);
      return tf.concat(variables.map((v) => tf.reshape(grads[v.name], [-1])));
    });
}

/** The gradients a training runner returns for comparison (`./training.ts`). */
function checkedTrainingGradients(
  data: WorkloadData,
  gradients: (x: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  return (x) => {
    const g = gradients(x);
    const out = checkedGradients(g, gradientScale(data.workload));
    g.dispose();
    return out;
  };
}
