/** rnnkit layers from `@rnnkit/core` on one tfjs backend, with that backend's fused kernels. */
import type * as tf from '@tensorflow/tfjs-core';
import type { DispatchStats, RnnkitLayer } from '../rnnkit_api.js';
import { useBackend, type BenchEnv, type TfBackendName } from '../tfjs_env.js';
import { tfjsPrepared, weightTensors } from './tfjs_common.js';
import type { Runner } from './types.js';

function totals(stats: DispatchStats | undefined): { fused: number; reference: number } {
  let fused = 0;
  let reference = 0;
  for (const v of Object.values(stats ?? {})) {
    fused += v.fused;
    reference += v.reference;
  }
  return { fused, reference };
}

/** The rnnkit runner for `backend`; unavailable (with the reason) when core or the backend package is. */
export function rnnkitRunner(env: BenchEnv, backend: TfBackendName): Runner {
  const setup = env.backends[backend];
  const core = env.core;
  const runner: Runner = {
    id: `rnnkit-${backend}`,
    family: 'rnnkit',
    backend,
    unavailable:
      core && setup.rnnkit ? undefined : (setup.rnnkitReason ?? env.coreReason ?? 'unavailable'),
    async prepare(data) {
      if (!core) throw new Error('rnnkit core not loaded');
      const { cell, bidirectional, units, time, input } = data.workload;
      await useBackend(backend);
      const make = (): RnnkitLayer =>
        cell === 'lstm'
          ? new core.LSTM({ units, returnSequences: false })
          : new core.GRU({ units, resetAfter: true, returnSequences: false });
      const layer = bidirectional
        ? new core.Bidirectional(make(), { mergeMode: 'concat' })
        : make();
      layer.build?.([null, time, input]);
      const weights = weightTensors(data);
      layer.setWeights(weights);
      let before = totals(core.getDispatchStats?.());
      let path: string | undefined;
      return tfjsPrepared(data, {
        backend,
        apply: (x) => {
          const out = layer.apply(x);
          return (Array.isArray(out) ? out[0] : out) as tf.Tensor;
        },
        beforeForward: () => {
          before = totals(core.getDispatchStats?.());
        },
        afterForward: () => {
          if (!core.getDispatchStats) return;
          const after = totals(core.getDispatchStats());
          const fused = after.fused - before.fused;
          const reference = after.reference - before.reference;
          path = fused && reference ? 'mixed' : fused ? 'fused' : reference ? 'reference' : 'none';
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
