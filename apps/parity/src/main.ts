/**
 * The parity CLI: every conformance case on every backend, as a case × backend table.
 * Exits 1 on any miss, any leaked tensor, or a backend whose declared (registered) kernels did
 * not run fused.
 *
 * After the table, each column's largest difference from the cpu column over every output of
 * every case; above 1e-5 it counts as a failure.
 *
 * Usage: `pnpm parity [--backend cpu,cpu-2t,wasm,wasm-2t,webgpu] [--filter REGEX] [--reference]`
 *   cpu-Nt       the cpu backend on N threads, splitting every product of two or more panels
 *                (the default list includes cpu-2t).
 *   wasm-Nt      the wasm backend on N threads, splitting every call that has more than one
 *                16-unit slice (the default list includes wasm-2t).
 *   --reference  also run the reference kernels (tfjs-core ops) as a column of their own.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  caseVerdict,
  loadCases,
  registeredSequenceKernels,
  runCase,
  type CaseResult,
} from '@rnnkit/conformance';
import { BACKENDS, importBackend, useBackend } from '@rnnkit/backends';
import { SEQUENCE_KERNEL_NAMES } from '@rnnkit/core';

interface Column {
  label: string;
  results: Map<string, CaseResult>;
  /** The sequence kernels the column's backend registers (judged fused); empty: reference. */
  declared: string[];
  error?: string;
}

/** The default columns: every backend, and cpu and wasm on 2 threads beside one. */
const DEFAULT_COLUMNS = BACKENDS.flatMap((b) =>
  b === 'wasm' || b === 'cpu' ? [b, `${b}-2t`] : [b],
);

/**
 * Starts a column's backend: `cpu-Nt` and `wasm-Nt` are that backend with N threads that split
 * even the smallest calls; any other name is a backend name, on one thread.
 */
async function startColumn(name: string): Promise<void> {
  const threaded = /^(cpu|wasm)-(\d+)t$/.exec(name);
  const backend = threaded ? threaded[1] : name;
  const threads = threaded ? Number(threaded[2]) : 1;
  await useBackend(backend);
  if (backend === 'wasm') {
    const wasm = await importBackend('wasm');
    await wasm.setThreads(threads);
    wasm.setMinStepWorkPerThread(threaded ? 0 : wasm.DEFAULT_MIN_STEP_WORK_PER_THREAD);
  } else if (backend === 'cpu') {
    const cpu = await importBackend('cpu');
    await cpu.setThreads(threads);
    cpu.setMinProductWork(threaded ? 0 : cpu.DEFAULT_MIN_PRODUCT_WORK);
  }
}

/** Backends must agree with cpu to this absolute difference on every output. */
const CROSS_BACKEND_ATOL = 1e-5;

/** Largest |a − b| over the outputs both results hold; Infinity when their shapes differ. */
function maxDifference(a: CaseResult, b: CaseResult): number {
  if (a.outputs.length !== b.outputs.length) return Infinity;
  let max = 0;
  a.outputs.forEach((call, k) => {
    if (call.length !== b.outputs[k].length) max = Infinity;
    call.forEach((values, i) => {
      const other = b.outputs[k][i];
      if (other == null || other.length !== values.length) {
        max = Infinity;
        return;
      }
      for (let j = 0; j < values.length; j++) {
        const d = Math.abs(values[j] - other[j]);
        if (!(d <= max)) max = d;
      }
    });
  });
  return max;
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

/** Unregisters rnnkit's fused kernels for `backend`, so the reference kernels run. */
function withoutFusedKernels(backend: string): void {
  for (const name of SEQUENCE_KERNEL_NAMES) {
    if (tf.getKernel(name, backend) != null) tf.unregisterKernel(name, backend);
  }
}

const FAILURE_CELL = {
  mismatch: () => 'FAIL',
  leak: (r: CaseResult) => `LEAK${r.leakedTensors}`,
  'not-fused': () => 'REF',
};

function cell(r: CaseResult | undefined, declared: readonly string[]): string {
  if (r == null) return '-';
  // The reference column declares nothing: any path passes there.
  const verdict = caseVerdict(r, declared.length === 0 ? {} : { expectFused: declared });
  return verdict.ok ? r.maxAbsError.toExponential(1) : FAILURE_CELL[verdict.failure](r);
}

async function main(): Promise<void> {
  // tfjs-backend-cpu's Node banner ("Hi, looks like you are running TensorFlow.js in
  // Node.js…") goes through tfjs-core's warn, which production mode silences.
  tf.enableProdMode();
  const argv = process.argv.slice(2);
  const requested = option(argv, '--backend');
  const backends = requested?.split(',') ?? DEFAULT_COLUMNS;
  const cases = loadCases(option(argv, '--filter'));
  const columns: Column[] = [];

  for (const name of backends) {
    const column: Column = { label: name, results: new Map(), declared: [] };
    columns.push(column);
    try {
      await startColumn(name);
    } catch (error) {
      column.error = (error as Error).message;
      continue;
    }
    column.declared = registeredSequenceKernels();
    if (column.declared.length === 0) {
      column.error = 'registers no sequence kernel';
      continue;
    }
    for (const c of cases) column.results.set(c.name, await runCase(c));
  }
  if (argv.includes('--reference')) {
    await useBackend('cpu');
    withoutFusedKernels('cpu');
    const column: Column = { label: 'reference', results: new Map(), declared: [] };
    for (const c of cases) column.results.set(c.name, await runCase(c));
    columns.push(column);
  }

  const width = Math.max(...cases.map((c) => c.name.length), 4);
  const header = ['case'.padEnd(width), ...columns.map((c) => c.label.padStart(10))].join(' ');
  console.log(header);
  console.log('-'.repeat(header.length));
  let failures = 0;
  for (const c of cases) {
    const cells = columns.map((col) => {
      const text = cell(col.results.get(c.name), col.declared);
      if (col.error == null && !/^\d/.test(text)) failures++;
      return text.padStart(10);
    });
    console.log([c.name.padEnd(width), ...cells].join(' '));
  }
  console.log('-'.repeat(header.length));
  for (const col of columns) {
    const passed = [...col.results.values()].filter((r) =>
      /^\d/.test(cell(r, col.declared)),
    ).length;
    const summary =
      col.error != null ? `unavailable: ${col.error}` : `${passed}/${cases.length} passed`;
    console.log(`${col.label}: ${summary}`);
  }
  console.log(
    'cells: max |actual − expected|; FAIL = outside tolerance, LEAKn = n tensors left, REF = fused kernel did not run',
  );
  const cpu = columns.find((c) => c.label === 'cpu' && c.error == null);
  for (const col of columns) {
    if (cpu == null || col === cpu || col.error != null) continue;
    let max = 0;
    let worst = '';
    for (const c of cases) {
      const a = col.results.get(c.name);
      const b = cpu.results.get(c.name);
      if (a == null || b == null) continue;
      const d = maxDifference(a, b);
      if (!(d <= max)) [max, worst] = [d, c.name];
    }
    const ok = max <= CROSS_BACKEND_ATOL;
    if (!ok) failures++;
    console.log(
      `${col.label} vs cpu: max |Δ| ${max.toExponential(1)} over ${cases.length} cases${worst ? ` (largest in ${worst})` : ''}${ok ? '' : ` > ${CROSS_BACKEND_ATOL}: FAIL`}`,
    );
  }
  // A backend named with --backend must run; by default an unavailable one is only reported.
  const unavailable = columns.filter((c) => c.error != null);
  if (failures > 0 || (requested != null && unavailable.length > 0)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
