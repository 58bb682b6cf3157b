/** rnnkit layers from `@rnnkit/core` on one tfjs backend, with that backend's fused kernels. */
import type * as tf from '@tensorflow/tfjs-core';
import { Bidirectional, dispatchPath, getDispatchStats, GRU, LSTM } from '@rnnkit/core';
import { useBackend, type BenchEnv, type TfBackendName } from '../tfjs_env.js';
import { tfjsPrepared, weightTensors } from './tfjs_common.js';
import type { Runner } from './types.js';

/** The rnnkit runner for `backend`; unavailable (with the reason) when the backend package is. */
export function rnnkitRunner(env: BenchEnv, backend: TfBackendName): Runner {
  const setup = env.backends[backend];
  const runner: Runner = {
    id: `rnnkit-${backend}`,
    family: 'rnnkit',
    backend,
    unavailable: setup.rnnkitReady ? undefined : (setup.rnnkitReason ?? 'unavailable'),
    async prepare(data) {
      const { cell, bidirectional, units, time, input } = data.workload;
      await useBackend(backend);
      const make = (): LSTM | GRU =>
        cell === 'lstm'
          ? new LSTM({ units, returnSequences: false })
          : new GRU({ units, resetAfter: cell === 'gru', returnSequences: false });
      const layer = bidirectional ? new Bidirectional(make(), { mergeMode: 'concat' }) : make();
      layer.build([null, time, input]);
      const weights = weightTensors(data);
      layer.setWeights(weights);
      let before = getDispatchStats();
      let path: string | undefined;
      return tfjsPrepared(data, {
        backend,
        apply: (x) => {
          const out = layer.apply(x);
          return (Array.isArray(out) ? out[0] : out) as tf.Tensor;
        },
        beforeForward: () => {
          before = getDispatchStats();
        },
        afterForward: () => {
          path = dispatchPath(before, getDispatchStats());
        },
        kernelPath: () => path,
        dispatches: setup.dispatches,
        disposeModel: () => {
          layer.dispose();
          for (const w of weights) w.dispose();
        },
      });
    },
  };
  return runner;
}
