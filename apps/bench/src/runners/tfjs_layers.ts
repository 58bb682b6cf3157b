/** `@tensorflow/tfjs-layers` 4.22 with the same weights, on the same tfjs backend as rnnkit's runner. */
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BenchEnv, type TfBackendName } from '../tfjs_env.js';
import { tfjsPrepared, weightTensors } from './tfjs_common.js';
import type { Runner } from './types.js';

/** The tfjs-layers runner for `backend`. */
export function tfjsLayersRunner(env: BenchEnv, backend: TfBackendName): Runner {
  const setup = env.backends[backend];
  return {
    id: `tfjs-layers-${backend}`,
    family: 'tfjs-layers',
    backend,
    unavailable: setup.tfjsReady ? undefined : (setup.tfjsReason ?? 'unavailable'),
    async prepare(data) {
      const { cell, bidirectional, units, time, input } = data.workload;
      if (cell === 'gru')
        return { skip: 'n/a: tfjs-layers 4.22 has no GRU reset_after (Keras default)' };
      await useBackend(backend);
      // tfjs-layers defaults differ from Keras (hardSigmoid gates): set the Keras activation.
      // Initializers are zeros only to skip the slow orthogonal init; setWeights overwrites them.
      const args = {
        units,
        returnSequences: false,
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
        layer.apply(tf.zeros([1, time, input]));
      });
      const weights = weightTensors(data);
      layer.setWeights(weights);
      for (const w of weights) w.dispose(); // setWeights copies the values
      return tfjsPrepared(data, {
        backend,
        apply: (x) => layer.apply(x) as tf.Tensor,
        dispatches: setup.dispatches,
        disposeModel: () => {
          layer.dispose();
        },
      });
    },
  };
}
