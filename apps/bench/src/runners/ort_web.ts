/**
 * `onnxruntime-web` (WebAssembly, SIMD) in Node. Its thread count is fixed when its wasm module
 * initialises, and two copies cannot share one process's backend registry, so each thread setting
 * gets its own worker thread with its own module instance. The worker times `session.run` itself,
 * so message passing stays outside the measurement.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { firstLine } from '../reasons.js';
import { onnxInputs, onnxSkip } from './onnx_inputs.js';
import { stepRows } from './stepping.js';
import type { PreparedRun, Runner, WorkloadData } from './types.js';

/** Worker body (CommonJS, run with `eval`): one onnxruntime-web instance, one session at a time. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
ort.env.wasm.numThreads = workerData.threads;
let session;
let input;
parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'load') {
      session = await ort.InferenceSession.create(msg.model, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      input = msg.steps
        ? msg.steps.map((x) => new ort.Tensor('float32', x, msg.dims))
        : new ort.Tensor('float32', msg.x, msg.dims);
      parentPort.postMessage({ ok: true });
    } else if (msg.type === 'run') {
      let ms = 0;
      let out;
      for (let i = 0; i < msg.count; i++) {
        const t0 = performance.now();
        out = await session.run({ X: input });
        ms += performance.now() - t0;
      }
      parentPort.postMessage({ ok: true, ms: ms / msg.count, yh: msg.wantOutput ? out.Y_h.data : undefined });
    } else if (msg.type === 'steps') {
      // One session.run per timestep, the states of one step fed to the next.
      const zeros = new Float32Array(msg.stateSize);
      let ms = 0;
      let h;
      for (let i = 0; i < msg.count; i++) {
        h = new ort.Tensor('float32', zeros, msg.stateDims);
        let c = msg.withC ? new ort.Tensor('float32', zeros, msg.stateDims) : undefined;
        const t0 = performance.now();
        for (let t = 0; t < input.length; t++) {
          const feeds = { X: input[t], H0: h };
          if (c) feeds.C0 = c;
          const out = await session.run(feeds);
          h = out.Y_h;
          c = out.Y_c;
          h.data;
        }
        ms += performance.now() - t0;
      }
      parentPort.postMessage({ ok: true, ms: ms / msg.count, yh: msg.wantOutput ? h.data : undefined });
    } else if (msg.type === 'release') {
      if (session) await session.release();
      session = undefined;
      parentPort.postMessage({ ok: true });
    }
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String((err && err.stack) || err) });
  }
});
`;

interface Reply {
  ok: boolean;
  error?: string;
  ms?: number;
  yh?: Float32Array;
}

/** A worker holding one onnxruntime-web instance with a fixed thread count. */
class OrtWebWorker {
  private readonly worker: Worker;
  private pending: { resolve(r: Reply): void; reject(e: Error): void } | undefined;
  private failure: Error | undefined;

  constructor(ortPath: string, threads: number) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, threads } });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (r.ok) p.resolve(r);
      else p.reject(new Error(r.error));
    });
    const fail = (err: Error): void => {
      this.failure = err;
      this.pending?.reject(err);
      this.pending = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) =>
      fail(new Error(`onnxruntime-web worker exited with code ${code}`)),
    );
  }

  call(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending)
      return Promise.reject(new Error('onnxruntime-web worker: a call is already in flight'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** The onnxruntime-web runner with `threads` wasm threads. */
export function ortWebRunner(threads: number): Runner {
  let ortPath: string | undefined;
  let unavailable: string | undefined;
  try {
    ortPath = createRequire(import.meta.url).resolve('onnxruntime-web');
  } catch (err) {
    unavailable = `onnxruntime-web cannot be resolved: ${firstLine(String(err))}`;
  }
  let worker: OrtWebWorker | undefined;
  return {
    id: `ort-web-${threads}t`,
    family: 'onnxruntime-web',
    backend: `wasm ${threads} thread${threads > 1 ? 's' : ''}`,
    unavailable,
    async prepare(data) {
      const skip = onnxSkip(data);
      if (skip) return skip;
      if (!ortPath) throw new Error('onnxruntime-web not resolved');
      worker ??= new OrtWebWorker(ortPath, threads);
      const w = worker;
      if (data.workload.stepping != null) return steppedOrt(w, data);
      const inputs = onnxInputs(data);
      await w.call({ type: 'load', model: inputs.model, x: inputs.x, dims: inputs.dims });
      return {
        forward: async (count) => (await w.call({ type: 'run', count, wantOutput: false })).ms!,
        output: async () =>
          inputs.toKerasOrder((await w.call({ type: 'run', count: 1, wantOutput: true })).yh!),
        dispose: async () => {
          await w.call({ type: 'release' });
        },
      };
    },
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}

/**
 * A streaming workload on onnxruntime-web: a model of one step with its states as inputs and
 * outputs, one `session.run` per timestep (timed in the worker).
 */
async function steppedOrt(w: OrtWebWorker, data: WorkloadData): Promise<PreparedRun> {
  const { cell, batch, input, units } = data.workload;
  const inputs = onnxInputs(data, true);
  const steps = stepRows(data); // time-major rows of one step are the batch-major rows
  await w.call({ type: 'load', model: inputs.model, steps, dims: [1, batch, input] });
  const message = {
    type: 'steps',
    stateSize: batch * units,
    stateDims: [1, batch, units],
    withC: cell === 'lstm',
  };
  return {
    forward: async (count) => (await w.call({ ...message, count, wantOutput: false })).ms!,
    output: async () =>
      inputs.toKerasOrder((await w.call({ ...message, count: 1, wantOutput: true })).yh!),
    dispose: async () => {
      await w.call({ type: 'release' });
    },
  };
}
