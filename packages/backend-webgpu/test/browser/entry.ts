/**
 * Runs in headless Chromium (scripts/browser-check.mjs): the fused kernels on the browser's own
 * WebGPU against the float64 Keras equations, on both recurrence paths, and the ConvLSTM kernel
 * on fixtures of both filter-group widths.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  getDispatchCount,
  init,
  resetDispatchCount,
  setRecurrencePath,
  type RecurrencePath,
} from '../../src/index.js';
import { closeness, makeCase, naiveExpected, runKernel, type CaseSpec } from '../cases.js';
import { CONV_CASES, convAttrs, convInputs, runConv } from '../conv_cases.js';

interface CheckResult {
  name: string;
  ok: boolean;
  /** Largest |fused − float64| over all outputs. */
  maxError: number;
  dispatches: number;
}

async function check(name: string, spec: CaseSpec, path: RecurrencePath): Promise<CheckResult> {
  setRecurrencePath(path);
  const cs = makeCase(spec);
  const want = naiveExpected(cs);
  resetDispatchCount();
  const { result } = await runKernel(cs);
  const dispatches = getDispatchCount();
  const worst = (atol?: number, rtol?: number) =>
    Math.max(
      closeness(result.output, want.output, atol, rtol),
      closeness(result.h, want.h, atol, rtol),
      want.c == null ? -Infinity : closeness(result.c, want.c, atol, rtol),
    );
  return { name: `${name}, ${path}`, ok: worst() <= 0, maxError: worst(0, 0), dispatches };
}

/** ConvLSTM fixture `index` (3d with 3 and 4 filters, 2d with 8: both filter-group widths). */
async function checkConv(index: number): Promise<CheckResult> {
  const cs = CONV_CASES[index];
  const inputs = convInputs(cs);
  resetDispatchCount();
  const outs = runConv(inputs, convAttrs(cs));
  const dispatches = getDispatchCount();
  const [output, h, c] = await Promise.all(outs.map((t) => t.array()));
  tf.dispose([...outs, ...Object.values(inputs)]);
  const { expected } = cs;
  const worst = (atol?: number, rtol?: number) =>
    Math.max(
      closeness(output, expected.output, atol, rtol),
      closeness(h, expected.h, atol, rtol),
      closeness(c, expected.c, atol, rtol),
    );
  return { name: `ConvLSTM ${cs.name}`, ok: worst() <= 0, maxError: worst(0, 0), dispatches };
}

async function main(): Promise<unknown> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu == null) return { error: 'navigator.gpu is missing (is WebGPU enabled?)' };
  const adapter = await gpu.requestAdapter();
  await init();
  const base = { batch: 5, steps: 6, inputDim: 4, units: 7, mask: 'random' as const };
  const specs: [string, CaseSpec][] = [
    [
      'LSTM backwards, recurrent mask',
      { family: 'lstm', ...base, goBackwards: true, recurrentMask: true },
    ],
    ['GRU resetAfter aligned', { family: 'gru', ...base, goBackwards: true, alignToInput: true }],
    [
      'GRU resetBefore last output',
      { family: 'gru', resetAfter: false, ...base, returnSequences: false },
    ],
    ['SimpleRNN relu', { family: 'simple', ...base, activation: 'relu', zeroOutputForMask: true }],
  ];
  const results: CheckResult[] = [];
  for (const path of ['workgroup', 'per-step'] as const) {
    for (const [name, spec] of specs) results.push(await check(name, spec, path));
  }
  setRecurrencePath('auto');
  for (const index of [0, 4, 5]) results.push(await checkConv(index));
  const info = adapter?.info;
  const described = [info?.vendor, info?.architecture, info?.description].filter(Boolean);
  return { adapter: described.join(' ') || 'unknown', results };
}

const w = window as unknown as { __rnnkitResult?: unknown };
main().then(
  (r) => (w.__rnnkitResult = r),
  (e: unknown) => (w.__rnnkitResult = { error: String((e as Error)?.stack ?? e) }),
);
