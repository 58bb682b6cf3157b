/** rnnkit layers from `@rnnkit/core` on one tfjs backend, with that backend's fused kernels. */
import * as tf from '@tensorflow/tfjs-core';
import { Bidirectional, ConvLSTM2D, dispatchPath, getDispatchStats, GRU, LSTM } from '@rnnkit/core';
import { isConv } from '../data.js';
import { useBackend, type BenchEnv, type TfBackendName } from '../tfjs_env.js';
import { frameOf, inputShape } from '../workloads.js';
import { tfjsPrepared, weightTensors } from './tfjs_common.js';
import { checkedGradients, flatGradients, gradientScale } from './training.js';
import type { Runner } from './types.js';

/** The thread settings of the backend packages that have them (cpu and wasm). */
interface ThreadedBackend {
  getThreads(): number;
  setThreads(threads: number): Promise<void>;
  threadsUnavailableReason(): string | null;
}

async function threadedPackage(backend: TfBackendName): Promise<ThreadedBackend | null> {
  if (backend === 'wasm') return import('@rnnkit/backend-wasm');
  if (backend === 'cpu') return import('@rnnkit/backend-cpu');
  return null;
}

/**
 * Sets the backend package to `threads` threads if it is not already; returns whether it
 * changed (the workers may then pack or copy weights afresh on the next call).
 */
async function useThreads(backend: TfBackendName, threads: number): Promise<boolean> {
  const pkg = await threadedPackage(backend);
  if (pkg == null || pkg.getThreads() === threads) return false;
  await pkg.setThreads(threads);
  return true;
}

/** Why the backend package cannot run threads here, or undefined when it can. */
async function threadsUnavailable(backend: TfBackendName): Promise<string | undefined> {
  const pkg = await threadedPackage(backend);
  if (pkg == null) return `threads unavailable: @rnnkit/backend-${backend} has no threads`;
  const reason = pkg.threadsUnavailableReason();
  return reason == null ? undefined : `threads unavailable: ${reason}`;
}

/** Why the forward-only runner skips a forward workload (it times training workloads only). */
export const FORWARD_ONLY_SKIP = 'n/a: times the forward pass of training workloads only';

/**
 * The rnnkit runner for `backend`; unavailable (with the reason) when the backend package is.
 * `threads` > 1 (cpu and wasm) runs the kernels on that many threads: `rnnkit-wasm-2t`.
 * On a training workload it times the training step; with `forwardOnly` (`rnnkit-cpu-forward`)
 * it times the forward pass of training workloads alone (their gradients are still what it
 * returns for comparison) and skips the others.
 */
export async function rnnkitRunner(
  env: BenchEnv,
  backend: TfBackendName,
  threads = 1,
  forwardOnly = false,
): Promise<Runner> {
  const setup = env.backends[backend];
  let unavailable = setup.rnnkitReady ? undefined : (setup.rnnkitReason ?? 'unavailable');
  if (unavailable == null && threads > 1) unavailable = await threadsUnavailable(backend);
  const base = threads > 1 ? `rnnkit-${backend}-${threads}t` : `rnnkit-${backend}`;
  const runner: Runner = {
    id: forwardOnly ? `${base}-forward` : base,
    family: 'rnnkit',
    backend,
    unavailable,
    async prepare(data) {
      const { cell, bidirectional, units } = data.workload;
      const train = data.workload.train === true;
      if (forwardOnly && !train) return { skip: FORWARD_ONLY_SKIP };
      await useBackend(backend);
      const make = (): LSTM | GRU | ConvLSTM2D =>
        isConv(cell)
          ? new ConvLSTM2D({
              filters: units,
              kernelSize: frameOf(data.workload).kernel,
              padding: 'same',
              returnSequences: false,
            })
          : cell === 'lstm'
            ? new LSTM({ units, returnSequences: train })
            : new GRU({ units, resetAfter: cell === 'gru', returnSequences: train });
      const layer = bidirectional ? new Bidirectional(make(), { mergeMode: 'concat' }) : make();
      const shape = inputShape(data.workload);
      layer.build([null, ...shape.slice(1)]);
      const weights = weightTensors(data);
      layer.setWeights(weights);
      let before = getDispatchStats();
      let path: string | undefined;
      // Which build of rnnkit's module the wasm kernels run: plain or relaxed SIMD.
      const variant =
        backend === 'wasm' ? (await import('@rnnkit/backend-wasm')).selectedVariant() : undefined;
      const forward = (x: tf.Tensor): tf.Tensor => {
        const out = layer.apply(x);
        return (Array.isArray(out) ? out[0] : out) as tf.Tensor;
      };
      const gradients = (x: tf.Tensor): tf.Tensor =>
        flatGradients(weights, (w) => {
          layer.setWeights(w);
          return forward(x);
        });
      return tfjsPrepared(data, {
        backend,
        // The runners of a backend share one process-wide thread setting: each sets its own,
        // then runs one untimed forward so that repacking or staging weights is not timed.
        activate:
          backend === 'wasm' || backend === 'cpu'
            ? async () => {
                if (await useThreads(backend, threads)) {
                  const x = tf.zeros(shape);
                  const y = forward(x);
                  await y.data();
                  tf.dispose([x, y]);
                }
              }
            : undefined,
        apply: train && !forwardOnly ? gradients : forward,
        checked: train
          ? (x) => {
              const g = gradients(x);
              const out = checkedGradients(g, gradientScale(data.workload));
              g.dispose();
              return out;
            }
          : undefined,
        beforeForward: () => {
          before = getDispatchStats();
        },
        afterForward: () => {
          path = dispatchPath(before, getDispatchStats());
        },
        kernelPath: () => (path != null && variant != null ? `${path}, ${variant} module` : path),
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
