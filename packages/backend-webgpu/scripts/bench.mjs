// Times rnnkit's fused webgpu kernels against tfjs-layers on the same tfjs webgpu backend, and
// counts GPU dispatches per forward. Needs `pnpm --filter @rnnkit/backend-webgpu build` first.
//
//   node scripts/bench.mjs [--reps=5] [--only=lstm-1x100x32x128,...] [--count-only] [--paths]
//
// --count-only  one forward per workload, dispatch counts only (fast on SwiftShader)
// --paths       also time the recurrence path the rule did not pick, where it is possible
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Constant, GRU, LSTM } from '@rnnkit/core';
import {
  getDispatchCount,
  init,
  planRecurrence,
  resetDispatchCount,
  setRecurrencePath,
} from '../dist/node.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const reps = Number(args.reps ?? 5);
const countOnly = args['count-only'] === true;

/** family, batch, time, input, units */
const WORKLOADS = [
  ['lstm', 1, 100, 32, 128],
  ['lstm', 32, 50, 64, 256],
  ['lstm', 8, 200, 128, 512],
  ['gru', 1, 100, 32, 128],
  ['gru', 32, 50, 64, 256],
];

const adapter = await init();
const device = tf.backend().device;
console.log(
  `adapter: ${adapter.description || adapter.architecture} (${adapter.vendor}, ` +
    `${adapter.software ? 'software' : 'hardware'}); maxComputeInvocationsPerWorkgroup ` +
    `${device.limits.maxComputeInvocationsPerWorkgroup}`,
);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn) {
  const out = fn();
  await out.data();
  out.dispose();
  const ms = [];
  for (let i = 0; i < (countOnly ? 0 : reps); i++) {
    const t0 = performance.now();
    const y = fn();
    await y.data();
    ms.push(performance.now() - t0);
    y.dispose();
  }
  resetDispatchCount();
  const y = fn();
  const dispatches = getDispatchCount();
  const values = await y.data();
  y.dispose();
  return { ms: ms.length > 0 ? median(ms) : NaN, dispatches, values };
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const rows = [];
function add(row) {
  rows.push(row);
  console.log(JSON.stringify(row));
}
for (const [family, B, T, D, U] of WORKLOADS) {
  const id = `${family}-${B}x${T}x${D}x${U}`;
  if (args.only && !String(args.only).split(',').includes(id)) continue;
  const G = family === 'lstm' ? 4 : 3;
  const x = tf.randomUniform([B, T, D], -1, 1);
  const kernel = tf.randomUniform([D, G * U], -1 / Math.sqrt(D), 1 / Math.sqrt(D));
  const recurrent = tf.randomUniform([U, G * U], -1 / Math.sqrt(U), 1 / Math.sqrt(U));
  const bias = tf.randomUniform([G * U], -0.1, 0.1);
  // tfjs-layers GRU supports only reset_after=False, so the comparison uses that mode.
  const common = { units: U, returnSequences: true };
  // Weights are set below; skip the (slow, for large units) orthogonal initializers.
  const zeros = { kernelInitializer: new Constant(0), recurrentInitializer: new Constant(0) };
  const ours =
    family === 'lstm'
      ? new LSTM({ ...common, ...zeros })
      : new GRU({ ...common, ...zeros, resetAfter: false });
  ours.build([null, T, D]);
  ours.setWeights([kernel, recurrent, bias]);
  const tflArgs = {
    ...common,
    recurrentActivation: 'sigmoid',
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
  };
  const theirs =
    family === 'lstm'
      ? tfl.layers.lstm(tflArgs)
      : tfl.layers.gru({ ...tflArgs, resetAfter: false });
  tf.dispose(theirs.apply(tf.zeros([1, 1, D]))); // builds the layer
  theirs.setWeights([kernel, recurrent, bias]);

  const plan = planRecurrence(
    { batch: B, steps: T, units: U, twoPhase: family === 'gru' },
    device.limits,
  );
  const r = await time(() => ours.apply(x));
  const l = await time(() => theirs.apply(x));
  const row = {
    workload: `${family.toUpperCase()} ${B}·${T}·${D}·${U}`,
    path: plan.path,
    'rnnkit ms': r.ms.toFixed(1),
    'rnnkit dispatches': r.dispatches,
    'tfjs-layers ms': l.ms.toFixed(1),
    'tfjs-layers dispatches': l.dispatches,
    'max |diff|': maxAbsDiff(r.values, l.values).toExponential(1),
  };
  add(row);
  if (family === 'gru') {
    const after = new GRU({ ...common, ...zeros, resetAfter: true });
    after.build([null, T, D]);
    after.setWeights([kernel, recurrent, tf.stack([bias, tf.zerosLike(bias)])]);
    const planAfter = planRecurrence(
      { batch: B, steps: T, units: U, twoPhase: false },
      device.limits,
    );
    const a = await time(() => after.apply(x));
    add({
      workload: `GRU resetAfter ${B}·${T}·${D}·${U}`,
      path: planAfter.path,
      'rnnkit ms': a.ms.toFixed(1),
      'rnnkit dispatches': a.dispatches,
    });
    after.dispose();
  }
  if (args.paths && !countOnly) {
    const other = plan.path === 'workgroup' ? 'per-step' : 'workgroup';
    try {
      setRecurrencePath(other);
      const o = await time(() => ours.apply(x));
      add({
        workload: `${family.toUpperCase()} ${B}·${T}·${D}·${U}`,
        path: `${other} (forced)`,
        'rnnkit ms': o.ms.toFixed(1),
        'rnnkit dispatches': o.dispatches,
        'max |diff|': maxAbsDiff(o.values, r.values).toExponential(1),
      });
    } catch (e) {
      add({
        workload: `${family.toUpperCase()} ${B}·${T}·${D}·${U}`,
        path: `${other}: ${e.message}`,
      });
    } finally {
      setRecurrencePath('auto');
    }
  }
  ours.dispose();
  theirs.dispose();
  tf.dispose([x, kernel, recurrent, bias]);
}
console.table(rows);
process.exit(0);
