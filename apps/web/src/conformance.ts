/**
 * The conformance page: every case of @rnnkit/conformance on every backend that starts here,
 * judged by the kit's own `caseVerdict` with the fused kernel required. The results are a
 * case × backend table plus data attributes the end-to-end test reads: per backend
 * `#conformance-summary tr[data-backend]` with `data-status`, `data-passed`, `data-total` and
 * `data-ms`; per failure `#conformance-failures li[data-backend][data-case]`; `body[data-state]`
 * becomes `done` (or `error`) at the end.
 */
import './style.css';
import {
  caseVerdict,
  registeredSequenceKernels,
  runCase,
  type ConformanceCase,
  type VerdictFailure,
} from '@rnnkit/conformance/browser';
import { activateBackend, BACKEND_NAMES, probeWebGPU, type BackendName } from './backends.js';
import { importBackend } from '@rnnkit/backends';
import { byId, h, messageOf } from './dom.js';
import { formatMs } from './format.js';

/** Where one backend's run stands. */
type RunStatus = 'waiting' | 'starting' | 'running' | 'done' | 'unavailable' | 'failed';

interface BackendRun {
  name: BackendName;
  status: RunStatus;
  message: string;
  passed: number;
  done: number;
  /** Time for all cases, backend start excluded. */
  ms: number;
  /** Calls (wasm) or matrix products (cpu) split across threads, when threads ran. */
  split?: number;
}

/** Short labels for failing cells, as the parity CLI prints them. */
const FAILURE_LABEL: Record<VerdictFailure, string> = {
  mismatch: 'FAIL',
  leak: 'LEAK',
  'not-fused': 'REF',
};

const params = new URLSearchParams(location.search);

/** `?backends=cpu,wasm` picks backends; all of them by default. */
function selectedBackends(): BackendName[] {
  const raw = params.get('backends');
  if (raw == null || raw === '') return [...BACKEND_NAMES];
  return raw.split(',').map((name) => {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `?backends: expected names from ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(name)}`,
      );
    }
    return name as BackendName;
  });
}

/**
 * `?threads=N` runs the wasm and cpu kernels on N threads, with every wasm call that has more
 * than one slice of units split, and every cpu product of two or more panels (the page must be
 * cross-origin isolated: the dev and preview servers send the headers for such URLs).
 */
function requestedThreads(): number {
  const raw = params.get('threads');
  if (raw == null || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`?threads: expected a positive integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Starts `threads` threads for `backend` (wasm or cpu), splitting even the smallest calls;
 * returns a function that reads how many calls (wasm) or products (cpu) were split since.
 */
async function startThreads(backend: BackendName, threads: number): Promise<() => number> {
  if (backend === 'cpu') {
    const cpu = await importBackend('cpu');
    await cpu.setThreads(threads);
    cpu.setMinProductWork(0);
    const before = cpu.getSplitProducts();
    return () => cpu.getSplitProducts() - before;
  }
  const wasm = await importBackend('wasm');
  await wasm.setThreads(threads);
  wasm.setMinStepWorkPerThread(0);
  wasm.resetKernelCalls();
  return () => wasm.getThreadedCalls();
}

/** `?filter=REGEXP` keeps the cases whose name matches. */
function caseFilter(): RegExp | null {
  const raw = params.get('filter');
  return raw == null || raw === '' ? null : new RegExp(raw);
}

const cells = new Map<string, HTMLTableCellElement>();
const cellKey = (backend: string, name: string): string => `${backend}/${name}`;

function renderSummary(runs: BackendRun[], total: number): void {
  byId('conformance-summary').replaceChildren(
    ...runs.map((r) =>
      h(
        'tr',
        {
          'data-backend': r.name,
          'data-status': r.status,
          'data-passed': r.passed,
          'data-total': total,
          'data-ms': Math.round(r.ms),
          ...(r.split == null ? {} : { 'data-split': r.split }),
          class: `run ${r.status}${r.passed < r.done ? ' has-failures' : ''}`,
        },
        h('td', {}, r.name),
        h('td', { class: 'status' }, r.message),
        h('td', { class: 'right mono' }, `${r.passed}/${total}`),
        h('td', { class: 'right mono' }, r.done > 0 ? formatMs(r.ms) : ''),
      ),
    ),
  );
}

function renderGrid(backends: BackendName[], cases: ConformanceCase[]): void {
  byId('conformance-head').replaceChildren(
    h('th', {}, `case (${cases.length})`),
    ...backends.map((b) => h('th', { class: 'right' }, b)),
  );
  byId('conformance-cases').replaceChildren(
    ...cases.map((c) =>
      h(
        'tr',
        { 'data-case': c.name },
        h('td', { class: 'mono', title: c.description }, c.name),
        ...backends.map((b) => {
          const td = h('td', { class: 'right mono cell', 'data-backend': b }, '·');
          cells.set(cellKey(b, c.name), td);
          return td;
        }),
      ),
    ),
  );
}

/** Lets the page paint now and then during a long run. */
let lastYield = 0;
async function breathe(): Promise<void> {
  if (performance.now() - lastYield < 100) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  lastYield = performance.now();
}

async function runBackend(
  run: BackendRun,
  cases: ConformanceCase[],
  update: () => void,
): Promise<void> {
  const progress = byId('conformance-progress');
  if (run.name === 'webgpu') {
    const gpu = await probeWebGPU();
    if (!gpu.ok) {
      Object.assign(run, { status: 'unavailable', message: `unavailable: ${gpu.reason}` });
      return update();
    }
    run.message = `adapter: ${gpu.adapter}`;
  }
  Object.assign(run, { status: 'starting' });
  update();
  const t0 = performance.now();
  const threads = run.name === 'wasm' || run.name === 'cpu' ? requestedThreads() : 1;
  let splitSoFar: (() => number) | null = null;
  try {
    await activateBackend(run.name);
    if (threads > 1) splitSoFar = await startThreads(run.name, threads);
  } catch (e) {
    Object.assign(run, { status: 'failed', message: messageOf(e) });
    return update();
  }
  let started = `started in ${formatMs(performance.now() - t0)} ms`;
  if (threads > 1) started += ` · ${threads} threads`;
  run.message = run.message === '' ? started : `${started} · ${run.message}`;
  run.status = 'running';
  const failures = byId('conformance-failures');
  const t1 = performance.now();
  // Judged on the kernels the backend registers; the others run on the reference by design.
  const declared = registeredSequenceKernels();
  for (const c of cases) {
    progress.textContent = `${run.name}: ${c.name} (${run.done + 1}/${cases.length})`;
    const tc = performance.now();
    const result = await runCase(c);
    const verdict = caseVerdict(result, { expectFused: declared });
    const caseMs = performance.now() - tc;
    const cell = cells.get(cellKey(run.name, c.name))!;
    cell.dataset.ms = String(Math.round(caseMs));
    cell.dataset.verdict = verdict.ok ? 'pass' : verdict.failure;
    cell.title = `${formatMs(caseMs)} ms`;
    if (verdict.ok) {
      run.passed++;
      cell.textContent = result.maxAbsError.toExponential(1);
    } else {
      cell.textContent = FAILURE_LABEL[verdict.failure];
      cell.title += ` · ${verdict.message}`;
      failures.append(
        h(
          'li',
          { 'data-backend': run.name, 'data-case': c.name, 'data-failure': verdict.failure },
          h('strong', {}, run.name),
          ' ',
          h('span', { class: 'mono' }, verdict.message),
        ),
      );
    }
    run.done++;
    run.ms = performance.now() - t1;
    update();
    await breathe();
  }
  if (splitSoFar != null) {
    run.split = splitSoFar();
    const what = run.name === 'cpu' ? 'products' : 'calls';
    run.message += ` · ${run.split} ${what} split across threads`;
  }
  run.status = 'done';
  update();
}

async function start(): Promise<void> {
  const backends = selectedBackends();
  const { bundledCases } = await import('./cases.js');
  const filter = caseFilter();
  const cases = bundledCases().filter((c) => filter == null || filter.test(c.name));
  const runs: BackendRun[] = backends.map((name) => ({
    name,
    status: 'waiting',
    message: '',
    passed: 0,
    done: 0,
    ms: 0,
  }));
  const update = (): void => renderSummary(runs, cases.length);
  renderGrid(backends, cases);
  update();
  document.body.dataset.state = 'running';
  for (const run of runs) await runBackend(run, cases, update);
  const failed = runs.reduce((n, r) => n + r.done - r.passed, 0);
  const ran = runs.filter((r) => r.status === 'done').map((r) => r.name);
  byId('conformance-progress').textContent =
    `done: ${cases.length} cases on ${ran.join(', ') || 'no backend'}, ${failed} failing`;
  if (failed === 0) {
    byId('conformance-failures').replaceChildren(h('li', { class: 'none' }, 'none'));
  }
  document.body.dataset.state = 'done';
}

start().catch((e: unknown) => {
  byId('conformance-progress').textContent = messageOf(e);
  byId('conformance-progress').classList.add('error');
  document.body.dataset.state = 'error';
});
