import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { burstSize, runBench, type BenchResult } from '../src/bench.js';
import { parseArgs, USAGE } from '../src/cli.js';
import { runCli } from '../src/cli_main.js';
import { FULL_WORKLOADS, QUICK_WORKLOADS, type Workload } from '../src/workloads.js';

const TINY: Workload[] = [
  { id: 'lstm-tiny', cell: 'lstm', bidirectional: false, batch: 2, time: 4, input: 3, units: 5 },
  { id: 'gru-tiny', cell: 'gru', bidirectional: false, batch: 2, time: 4, input: 3, units: 5 },
  { id: 'bilstm-tiny', cell: 'lstm', bidirectional: true, batch: 2, time: 4, input: 3, units: 5 },
  {
    id: 'gru-before-tiny',
    cell: 'gru-reset-before',
    bidirectional: false,
    batch: 2,
    time: 4,
    input: 3,
    units: 5,
  },
  {
    id: 'stream-lstm-tiny',
    cell: 'lstm',
    bidirectional: false,
    batch: 2,
    time: 4,
    input: 3,
    units: 5,
    stepping: { baseline: 'lstm-tiny' },
  },
];

function checkRows(result: BenchResult, reps: number): void {
  for (const w of result.workloads) {
    for (const row of w.rows) {
      // A runner that loaded must not fail mid-run; skips are for missing packages and n/a cells.
      expect(row.status === 'error' ? `${row.runner}: ${row.reason}` : row.status).not.toMatch(/:/);
      if (row.status !== 'ok') {
        // Every runner that did not run says why.
        expect(row.reason, `${w.workload.id}/${row.runner}`).toMatch(/\S/);
        continue;
      }
      expect(row.samplesMs, `${w.workload.id}/${row.runner}`).toHaveLength(reps);
      expect(row.medianMs).toBeGreaterThan(0);
      expect(row.gflops).toBeGreaterThan(0);
      // All runners compute the same Keras layer with the same weights: outputs agree.
      if (row.runner !== w.reference)
        expect(row.maxAbsDiff, `${w.workload.id}/${row.runner}`).toBeLessThan(1e-5);
    }
  }
}

describe('runBench on tiny workloads', () => {
  it('measures every runner that can run, and cross-checks outputs', async () => {
    const result = await runBench({
      quick: true,
      reps: 2,
      warmup: 1,
      sampleMs: 0,
      workloads: TINY,
    });
    expect(result.workloads.map((w) => w.workload.id)).toEqual(TINY.map((w) => w.id));
    checkRows(result, 2);
    // onnxruntime-node ships its CPU binary in the package: it always runs, on every workload.
    for (const w of result.workloads) {
      if (w.workload.stepping == null)
        expect(w.rows.find((r) => r.runner === 'ort-node-1t')?.status).toBe('ok');
      expect(w.reference).not.toBeNull();
    }
    // The streaming workload: streams, stateful apply and the stepped peers all ran, and each
    // step is set against one step of the whole-sequence baseline.
    const stream = result.workloads.find((w) => w.workload.id === 'stream-lstm-tiny')!;
    for (const runner of ['rnnkit-cpu', 'rnnkit-cpu-stateful', 'tfjs-layers-cpu', 'ort-web-1t']) {
      const row = stream.rows.find((r) => r.runner === runner)!;
      expect(row.status, runner).toBe('ok');
      expect(row.stepRatio?.ratio, runner).toBeGreaterThan(0);
    }
    expect(stream.rows.find((r) => r.runner === 'rnnkit-cpu')?.kernelPath).toBe(
      'stream, fused steps',
    );
    // tfjs-layers has no GRU reset_after: that row is n/a, not a failure.
    const gruTfjs = result.workloads[1].rows.find((r) => r.runner === 'tfjs-layers-cpu');
    expect(gruTfjs?.status).toBe('skipped');
    expect(gruTfjs?.reason).toMatch(/reset_after/);
    // Its GRU is reset_after=False: there it runs and agrees with rnnkit and onnxruntime.
    const before = result.workloads[3].rows;
    for (const id of ['tfjs-layers-cpu', 'rnnkit-cpu', 'ort-node-1t']) {
      expect(before.find((r) => r.runner === id)?.status, id).toBe('ok');
    }
  }, 120_000);

  it('times training steps: gradients agree across runners, the step over the forward pass', async () => {
    const shape = { bidirectional: false, batch: 2, time: 4, input: 3, units: 5, train: true };
    const train: Workload[] = [
      { id: 'train-lstm-tiny', cell: 'lstm', ...shape },
      { id: 'train-gru-before-tiny', cell: 'gru-reset-before', ...shape },
    ];
    const result = await runBench({
      quick: true,
      reps: 2,
      warmup: 1,
      sampleMs: 0,
      workloads: [...train, TINY[0]],
      filter: /\/(rnnkit-cpu|rnnkit-cpu-forward|tfjs-layers-cpu|ort-node-1t)$/,
    });
    checkRows(result, 2);
    for (const w of result.workloads.slice(0, 2)) {
      const row = (id: string) => w.rows.find((r) => r.runner === id);
      expect(w.reference).toBe('rnnkit-cpu');
      // rnnkit's fused backward kernels and tfjs-layers' autodiff: the same gradients.
      expect(row('tfjs-layers-cpu')?.status).toBe('ok');
      expect(row('tfjs-layers-cpu')?.maxAbsDiff).toBeLessThan(1e-5);
      expect(row('rnnkit-cpu')?.kernelPath).toBe('fused');
      expect(row('rnnkit-cpu')?.timeRatioToRnnkit['rnnkit-cpu-forward']).toBeGreaterThan(0);
      expect(row('ort-node-1t')?.reason).toMatch(/^n\/a/);
    }
    // The forward-only runner times training workloads only.
    const lstm = result.workloads[2].rows.find((r) => r.runner === 'rnnkit-cpu-forward');
    expect(lstm?.reason).toMatch(/^n\/a/);
  }, 120_000);

  it('runs ConvLSTM2D on rnnkit (fused on cpu) and tfjs-layers, with agreeing outputs', async () => {
    const conv: Workload = {
      id: 'convlstm2d-tiny',
      cell: 'convlstm2d',
      bidirectional: false,
      batch: 2,
      time: 3,
      input: 2,
      units: 3,
      frame: { height: 5, width: 4, kernel: 3 },
    };
    const result = await runBench({
      quick: true,
      reps: 2,
      warmup: 1,
      sampleMs: 0,
      workloads: [conv],
    });
    checkRows(result, 2);
    const rows = result.workloads[0].rows;
    const row = (id: string) => rows.find((r) => r.runner === id);
    expect(result.workloads[0].reference).toBe('rnnkit-cpu');
    expect(row('rnnkit-cpu')?.kernelPath).toBe('fused');
    expect(row('tfjs-layers-cpu')?.status).toBe('ok');
    expect(row('tfjs-layers-cpu')?.maxAbsDiff).toBeLessThan(1e-5);
    // ONNX has no ConvLSTM: the onnxruntime rows are n/a, not failures.
    expect(row('ort-node-1t')?.status).toBe('skipped');
    expect(row('ort-node-1t')?.reason).toMatch(/ConvLSTM/);
    // 2·T·B·H·W·4U·k²·(C+U): both convolutions at every position.
    expect(result.workloads[0].gflop * 1e9).toBe(2 * 3 * 2 * 5 * 4 * 12 * 9 * (2 + 3));
  }, 120_000);

  it('times a ConvLSTM2D training step: fused backward on cpu, gradients agree with tfjs-layers', async () => {
    const conv: Workload = {
      id: 'train-convlstm2d-tiny',
      cell: 'convlstm2d',
      bidirectional: false,
      train: true,
      batch: 1,
      time: 3,
      input: 2,
      units: 3,
      frame: { height: 5, width: 4, kernel: 3 },
    };
    const result = await runBench({
      quick: true,
      reps: 2,
      warmup: 1,
      sampleMs: 0,
      workloads: [conv],
      filter: /\/(rnnkit-cpu|rnnkit-cpu-forward|tfjs-layers-cpu)$/,
    });
    checkRows(result, 2);
    const row = (id: string) => result.workloads[0].rows.find((r) => r.runner === id);
    expect(row('rnnkit-cpu')?.kernelPath).toBe('fused');
    expect(row('tfjs-layers-cpu')?.status).toBe('ok');
    expect(row('tfjs-layers-cpu')?.maxAbsDiff).toBeLessThan(1e-5);
    expect(row('rnnkit-cpu')?.timeRatioToRnnkit['rnnkit-cpu-forward']).toBeGreaterThan(0);
    // Three times the forward's multiply-adds.
    expect(result.workloads[0].gflop * 1e9).toBe(3 * 2 * 3 * 1 * 5 * 4 * 12 * 9 * (2 + 3));
  }, 120_000);

  it('--filter keeps only matching workload/runner pairs', async () => {
    const result = await runBench({
      quick: true,
      reps: 1,
      warmup: 1,
      sampleMs: 0,
      workloads: TINY,
      filter: /^gru-tiny\/ort-/,
    });
    expect(result.workloads.map((w) => w.workload.id)).toEqual(['gru-tiny']);
    expect(result.workloads[0].rows.map((r) => r.runner)).toEqual([
      'ort-web-1t',
      'ort-web-2t',
      'ort-node-1t',
    ]);
    checkRows(result, 1);
  }, 60_000);
});

describe('sampling by bursts', () => {
  it('sizes a burst to fill the sample length, within bounds', () => {
    expect(burstSize(0.5, 25)).toBe(50);
    expect(burstSize(0.3, 1)).toBe(4);
    expect(burstSize(40, 25)).toBe(1);
    expect(burstSize(1e-6, 25)).toBe(500);
    expect(burstSize(0.5, 0)).toBe(1);
    expect(burstSize(Number.NaN, 25)).toBe(1);
  });

  it('times each sample as the mean over its burst', async () => {
    let settles = 0;
    const result = await runBench({
      quick: true,
      reps: 2,
      warmup: 1,
      sampleMs: 20,
      workloads: [TINY[0]],
      filter: /\/(rnnkit-cpu|ort-node-1t)$/,
      settle: () => {
        settles++;
        return Promise.resolve();
      },
    });
    checkRows(result, 2);
    // The process settles before every timed sample: 2 reps of 2 runners.
    expect(settles).toBe(4);
    const rows = result.workloads[0].rows.filter((r) => r.status === 'ok');
    expect(rows.map((r) => r.runner)).toEqual(['rnnkit-cpu', 'ort-node-1t']);
    // A tiny forward takes well under 10 ms, so every runner averages several per sample.
    for (const row of rows) expect(row.burst, row.runner).toBeGreaterThan(1);
    expect(result.options.sampleMs).toBe(20);
  }, 60_000);
});

describe('command line', () => {
  it("names every workload in --help's list", () => {
    for (const w of [...FULL_WORKLOADS, ...QUICK_WORKLOADS]) {
      expect(USAGE, w.id).toMatch(new RegExp(`(^|\\s)${w.id}([\\s;,)]|$)`));
    }
  });

  it('--quick writes JSON, chart and doc end to end', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-bench-'));
    const code = await runCli(
      [
        '--quick',
        '--reps',
        '1',
        '--filter',
        '^lstm-q/',
        '--json',
        'out.json',
        '--chart',
        'c.svg',
        '--markdown',
        'b.md',
        '--note',
        'load was low',
      ],
      dir,
    );
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as BenchResult & {
      command: string;
    };
    expect(json.options).toMatchObject({ quick: true, reps: 1, filter: '^lstm-q/' });
    expect(json.workloads.map((w) => w.workload.id)).toEqual(['lstm-q']);
    checkRows(json, 1);
    const svg = readFileSync(path.join(dir, 'c.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('ort-node-1t');
    const md = readFileSync(path.join(dir, 'b.md'), 'utf8');
    expect(md).toContain('![GFLOP/s per runner and workload](c.svg)');
    expect(json.command).toBe(
      'pnpm bench --quick --reps 1 --filter ^lstm-q/ --json out.json --chart c.svg --markdown b.md',
    );
    expect(md).toContain(json.command);
    expect(md).toContain('> load was low');
    expect(md).toMatch(/\| ort-node-1t +\| +[\d.]+ \|/);

    // --from re-renders the saved run without measuring: the same chart comes out.
    expect(await runCli(['--from', 'out.json', '--chart', 'c2.svg'], dir)).toBe(0);
    expect(readFileSync(path.join(dir, 'c2.svg'), 'utf8')).toBe(svg);
    // Several saved runs make one doc: one section per run, each with its own note.
    const args = [
      '--from',
      'out.json',
      '--from',
      'out.json',
      '--note',
      'first',
      '--note',
      'second',
    ];
    expect(await runCli([...args, '--markdown', 'two.md'], dir)).toBe(0);
    const two = readFileSync(path.join(dir, 'two.md'), 'utf8');
    expect(two.match(/^### lstm-q$/gm)).toHaveLength(2);
    // It links the saved runs it was made from; a freshly measured doc links none.
    expect(two).toContain(
      'The runs below are saved as [out.json](out.json) and [out.json](out.json).',
    );
    expect(md).not.toContain('The runs below are saved as');
    expect(two.indexOf('> first')).toBeLessThan(two.indexOf('> second'));
  }, 120_000);

  it('rejects bad flags with the flag, the expectation and the value', () => {
    expect(() => parseArgs(['--reps', '0'])).toThrow(
      "--reps: expected a positive integer, got '0'",
    );
    expect(() => parseArgs(['--filter', '('])).toThrow(
      /--filter: expected a regular expression, got '\('/,
    );
    expect(() => parseArgs(['--sample-ms', '-1'])).toThrow(
      "--sample-ms: expected a number ≥ 0, got '-1'",
    );
    expect(parseArgs(['--sample-ms', '0']).sampleMs).toBe(0);
    expect(() => parseArgs(['--bogus'])).toThrow("unknown argument '--bogus'");
    expect(() => parseArgs(['--note', 'a', '--note', 'b'])).toThrow(
      '--note: expected at most one per run (1), got 2',
    );
    expect(parseArgs(['--', '--quick', '--filter', 'webgpu'])).toMatchObject({
      quick: true,
      filter: /webgpu/,
    });
  });
});
