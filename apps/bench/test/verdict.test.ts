/** The smoke run's exit decision: which runs have problems, from hand-made results. */
import { describe, expect, it } from 'vitest';
import {
  SOFTWARE_GPU,
  type BenchResult,
  type RowResult,
  type WorkloadResult,
} from '../src/bench.js';
import { NOT_SELECTED } from '../src/tfjs_env.js';
import { runProblems } from '../src/verdict.js';
import { QUICK_WORKLOADS } from '../src/workloads.js';

function row(runner: string, over: Partial<RowResult> = {}): RowResult {
  return {
    runner,
    family: runner.startsWith('rnnkit')
      ? 'rnnkit'
      : runner.startsWith('ort')
        ? 'onnxruntime-node'
        : 'tfjs-layers',
    backend: /webgpu/.test(runner) ? 'webgpu' : /wasm/.test(runner) ? 'wasm' : 'cpu',
    status: 'ok',
    samplesMs: [1],
    medianMs: 1,
    minMs: 1,
    maxMs: 1,
    gflops: 1,
    timeRatioToRnnkit: {},
    maxAbsDiff: runner === 'rnnkit-cpu' ? null : 3e-8,
    dispatchesPerForward: null,
    tensorsBefore: null,
    tensorsAfter: null,
    ...over,
  };
}

function result(rows: RowResult[], reference: string | null = 'rnnkit-cpu'): BenchResult {
  const workload: WorkloadResult = {
    workload: QUICK_WORKLOADS[0],
    description: '',
    gflop: 1,
    reference,
    rows,
  };
  return {
    schema: 1,
    date: '',
    options: { quick: true, reps: 1, warmup: 1, filter: null },
    runners: [],
    dispatchCountSource: null,
    gpuAdapter: null,
    workloads: [workload],
  };
}

const id = QUICK_WORKLOADS[0].id;
const CI = { allBackends: true };
const LOCAL = { allBackends: false };

describe('runProblems', () => {
  it('passes a run where everything ran and agrees within 1e-4', () => {
    const rows = [row('rnnkit-cpu'), row('rnnkit-wasm', { maxAbsDiff: 1e-4 }), row('ort-node-1t')];
    expect(runProblems(result(rows), CI)).toEqual([]);
  });

  it('flags an output further than 1e-4 from the reference, and NaN', () => {
    const rows = [
      row('rnnkit-cpu'),
      row('rnnkit-wasm', { maxAbsDiff: 1.01e-4 }),
      row('ort-node-1t', { maxAbsDiff: Number.NaN }),
    ];
    expect(runProblems(result(rows), LOCAL)).toEqual([
      `${id}/rnnkit-wasm: max |Δ| 0.000101 against rnnkit-cpu exceeds 0.0001`,
      `${id}/ort-node-1t: max |Δ| NaN against rnnkit-cpu exceeds 0.0001`,
    ]);
  });

  it('flags a runner that errored, or ran without being compared', () => {
    const rows = [
      row('rnnkit-cpu'),
      row('rnnkit-wasm', { status: 'error', reason: 'rep 0: out of memory' }),
      row('ort-node-1t', { maxAbsDiff: null }),
    ];
    expect(runProblems(result(rows), LOCAL)).toEqual([
      `${id}/rnnkit-wasm: failed (rep 0: out of memory)`,
      `${id}/ort-node-1t: output not compared with rnnkit-cpu`,
    ]);
  });

  it('accepts n/a cells, runners left out by --filter and a software GPU; flags other skips', () => {
    const skipped = (runner: string, reason: string) => row(runner, { status: 'skipped', reason });
    const rows = [
      row('rnnkit-cpu'),
      skipped('tfjs-layers-cpu', 'n/a: tfjs-layers 4.22 has no GRU reset_after (Keras default)'),
      skipped('tfjs-layers-wasm', NOT_SELECTED),
      skipped('rnnkit-webgpu', `${SOFTWARE_GPU} (google swiftshader): not GPU timings`),
      skipped('rnnkit-cpu-2t', 'threads unavailable: this engine cannot grow a SharedArrayBuffer'),
      skipped('ort-node-1t', 'onnxruntime-node native binding did not load: ENOENT'),
    ];
    expect(runProblems(result(rows), LOCAL)).toEqual([
      `${id}/rnnkit-cpu-2t: skipped (threads unavailable: this engine cannot grow a SharedArrayBuffer)`,
      `${id}/ort-node-1t: skipped (onnxruntime-node native binding did not load: ENOENT)`,
    ]);
  });

  it('lets a machine without a WebGPU adapter skip webgpu, except on CI', () => {
    const rows = [
      row('rnnkit-cpu'),
      row('rnnkit-webgpu', { status: 'skipped', reason: 'init() failed: no WebGPU adapter' }),
    ];
    expect(runProblems(result(rows), LOCAL)).toEqual([]);
    expect(runProblems(result(rows), CI)).toEqual([
      `${id}/rnnkit-webgpu: skipped (init() failed: no WebGPU adapter)`,
    ]);
  });

  it('flags a workload where nothing ran', () => {
    const rows = [row('rnnkit-cpu', { status: 'error', reason: 'prepare: boom' })];
    expect(runProblems(result(rows, null), LOCAL)).toEqual([
      `${id}: no runner produced an output`,
      `${id}/rnnkit-cpu: failed (prepare: boom)`,
    ]);
  });
});
