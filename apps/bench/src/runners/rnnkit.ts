/** rnnkit layers from `@rnnkit/core` on one tfjs backend, with that backend's fused kernels. */
import * as tf from '@tensorflow/tfjs-core';
import { Bidirectional, ConvLSTM2D, dispatchPath, getDispatchStats, GRU, LSTM } from '@rnnkit/core';
import { importBackend } from '@rnnkit/backends';
import { isConv } from '../data.js';
import { useBackend, type BenchEnv, type TfBackendName } from '../tfjs_env.js';
import { frameOf, inputShape } from '../workloads.js';
import { stepRows, steppedPrepared } from './stepping.js';
import { kernelTimer } from './kernel_timer.js';
import { tfjsPrepared, weightTensors } from './tfjs_common.js';
import { checkedGradients, flatGradients, gradientScale } from './training.js';
import type { PreparedRun, Runner, WorkloadData } from './types.js';

/** The thread settings of the backend packages that have them (cpu and wasm). */
interface ThreadedBackend {
  getThreads(): number;
  setThreads(threads: number): Promise<void>;
  threadsUnavailableReason(): string | null;
}

async function threadedPackage(backend: TfBackendName): Promise<ThreadedBackend | null> {
  return backend === 'wasm' || backend === 'cpu' ? importBackend(backend) : null;
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
 * How an rnnkit runner feeds a streaming workload: `stream` through `layer.stream()`, `stateful`
 * through a Keras-style stateful layer's `apply` on `[B, 1, D]` per step.
 */
export type RnnkitStepMode = 'stream' | 'stateful';

/**
 * Which rnnkit runner: `plain` (streams on streaming workloads, trains on training ones),
 * `stateful` (streaming workloads through a stateful layer) or `forward` (the forward pass of
 * training workloads).
 */
export type RnnkitRunnerMode = 'plain' | 'stateful' | 'forward';

/**
 * The rnnkit runner for `backend`; unavailable (with the reason) when the backend package is.
 * `threads` > 1 (cpu and wasm) runs the kernels on that many threads: `rnnkit-wasm-2t`. On the
 * streaming workloads the plain runner streams, and on a training workload it times the training
 * step. `mode: 'stateful'` makes the `rnnkit-<backend>-stateful` runner, which runs only the
 * streaming workloads, through a stateful layer's `apply`; `mode: 'forward'` makes
 * `rnnkit-<backend>-forward`, which times the forward pass of training workloads alone (their
 * gradients are still what it returns for comparison) and skips the others.
 */
export async function rnnkitRunner(
  env: BenchEnv,
  backend: TfBackendName,
  threads = 1,
  mode: RnnkitRunnerMode = 'plain',
): Promise<Runner> {
  const setup = env.backends[backend];
  let unavailable = setup.rnnkitReady ? undefined : (setup.rnnkitReason ?? 'unavailable');
  if (unavailable == null && threads > 1) unavailable = await threadsUnavailable(backend);
  const base = threads > 1 ? `rnnkit-${backend}-${threads}t` : `rnnkit-${backend}`;
  const runner: Runner = {
    id:
      mode === 'stateful'
        ? `rnnkit-${backend}-stateful`
        : mode === 'forward'
          ? `${base}-forward`
          : base,
    family: 'rnnkit',
    backend,
    unavailable,
    async prepare(data) {
      const { cell, bidirectional, units } = data.workload;
      const stepping = data.workload.stepping != null;
      const train = data.workload.train === true;
      if (mode === 'stateful' && !stepping)
        return { skip: 'n/a: stateful apply is timed on the stream-* workloads' };
      if (mode === 'forward' && !train) return { skip: FORWARD_ONLY_SKIP };
      if (stepping && threads > 1) return { skip: 'n/a: a stream steps on one thread' };
      await useBackend(backend);
      if (stepping)
        return steppedRnnkit(data, backend, mode === 'stateful' ? 'stateful' : 'stream');
      const make = (): LSTM | GRU | ConvLSTM2D =>
        isConv(cell)
          ? new ConvLSTM2D({
              filters: units,
              kernelSize: frameOf(data.workload).kernel,
              padding: 'same',
              returnSequences: train,
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
      // The time a forward spends outside the sequence kernels (not for training steps).
      const timer = train && mode !== 'forward' ? null : kernelTimer(backend);
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
        apply: train && mode !== 'forward' ? gradients : forward,
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
          timer?.start();
        },
        afterForward: (ms) => {
          timer?.stop(ms);
          path = dispatchPath(before, getDispatchStats());
        },
        outsideKernel: () => timer?.outside() ?? null,
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

/** An LSTM or GRU of a streaming workload, one step per call, on `backend`. */
async function steppedRnnkit(
  data: WorkloadData,
  backend: TfBackendName,
  mode: RnnkitStepMode,
): Promise<PreparedRun> {
  const { cell, units, batch, input } = data.workload;
  const stateful = mode === 'stateful';
  const args = {
    units,
    stateful,
    ...(stateful ? { batchInputShape: [batch, 1, input] } : {}),
  };
  const layer = cell === 'lstm' ? new LSTM(args) : new GRU({ ...args, resetAfter: cell === 'gru' });
  layer.build(input);
  const weights = weightTensors(data);
  layer.setWeights(weights);
  weights.forEach((w) => w.dispose());
  const rows = stepRows(data);
  const activate = () => useBackend(backend);
  if (!stateful) {
    const stream = layer.stream({ batch });
    return steppedPrepared(data, {
      activate,
      reset: () => stream.reset(),
      step: (t) => stream.step(rows[t])[0],
      kernelPath: () => `stream, ${stream.path} steps`,
      dispose: () => {
        stream.dispose();
        layer.dispose();
      },
    });
  }
  const xs = rows.map((r) => tf.tensor3d(r, [batch, 1, input]));
  let before = getDispatchStats();
  let path: string | undefined;
  return steppedPrepared(data, {
    activate,
    reset: () => {
      layer.resetStates();
      before = getDispatchStats();
    },
    step: async (t) => {
      const y = layer.apply(xs[t]) as tf.Tensor;
      const values = (await y.data()) as Float32Array;
      y.dispose();
      if (t === xs.length - 1) path = dispatchPath(before, getDispatchStats());
      return values;
    },
    kernelPath: () => path,
    dispose: () => {
      layer.dispose();
      xs.forEach((x) => x.dispose());
    },
  });
}
