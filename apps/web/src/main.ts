/**
 * The page: backend picker, the seed example, Keras model import, text generation in a worker,
 * live training and the benchmark.
 */
import './style.css';
import {
  activateBackend,
  BACKEND_NAMES,
  BACKEND_PACKAGES,
  probeWebGPU,
  type BackendName,
  type BackendState,
} from './backends.js';
import { benchWorkload, WORKLOADS, type BenchResult } from './bench.js';
import { barChart, lineChart, type LineSeries } from './charts.js';
import { byId, h, messageOf } from './dom.js';
import { float32String, formatMs, formatShape, tensorView } from './format.js';
import { setupGenerate } from './generate.js';
import { rerunModel, setupModels } from './models.js';
import { runSeed, SEED_INPUT, type SeedRun } from './seed.js';
import { serial } from './serial.js';
import { setupTraining } from './train.js';

const states = new Map<BackendName, BackendState>(
  BACKEND_NAMES.map((name) => [name, { name, status: 'idle', message: 'not started' }]),
);
let active: BackendName | null = null;

// ---------------------------------------------------------------- backend picker

function setState(name: BackendName, status: BackendState['status'], message: string): void {
  states.set(name, { name, status, message });
  renderPicker();
}

function renderPicker(): void {
  const list = byId('backend-list');
  list.replaceChildren(
    ...BACKEND_NAMES.map((name) => {
      const st = states.get(name)!;
      const disabled = st.status === 'unavailable' || st.status === 'loading';
      const input = h('input', {
        type: 'radio',
        name: 'backend',
        value: name,
        id: `backend-${name}`,
        checked: active === name,
        disabled,
      });
      input.addEventListener('change', () => void selectBackend(name));
      return h(
        'label',
        {
          class: `backend ${st.status}`,
          'data-backend': name,
          'data-status': st.status,
          for: `backend-${name}`,
        },
        input,
        h('span', { class: 'backend-name' }, name),
        h('span', { class: 'backend-pkg' }, BACKEND_PACKAGES[name]),
        h('span', { class: 'backend-status' }, st.message),
      );
    }),
  );
}

const startMs = new Map<BackendName, number>();
/** The WebGPU adapter's description, shown with the webgpu status. */
let adapterLabel = '';

/** Marks `name` ready; the first (cold) start time is the one shown. */
function markReady(name: BackendName, ms: number): void {
  if (!startMs.has(name)) startMs.set(name, ms);
  const adapter = name === 'webgpu' && adapterLabel ? ` · adapter: ${adapterLabel}` : '';
  setState(name, 'ready', `ready (started in ${formatMs(startMs.get(name)!)} ms)${adapter}`);
}

/** Starts `name` and makes it active; on failure the previous backend stays active. */
async function selectBackend(name: BackendName): Promise<void> {
  const previous = active;
  setState(name, 'loading', 'loading…');
  const ok = await serial(async () => {
    try {
      const t0 = performance.now();
      await activateBackend(name);
      active = name;
      markReady(name, performance.now() - t0);
      return true;
    } catch (e) {
      setState(name, 'failed', messageOf(e));
      if (previous != null) await activateBackend(previous);
      return false;
    }
  });
  renderPicker();
  byId('active-backend').textContent = active ?? 'none';
  if (ok) {
    await refreshSeed();
    await rerunModel();
  }
}

/** Starts `name` to learn its status, then returns to the active backend. */
async function startInBackground(name: BackendName): Promise<void> {
  setState(name, 'loading', 'loading…');
  await serial(async () => {
    try {
      const t0 = performance.now();
      await activateBackend(name);
      markReady(name, performance.now() - t0);
    } catch (e) {
      setState(name, 'failed', messageOf(e));
    } finally {
      if (active != null) await activateBackend(active);
    }
  });
}

// ---------------------------------------------------------------- seed

const seedByBackend = new Map<string, SeedRun>();

function seedChart(run: SeedRun): SVGSVGElement | null {
  const out = run.tensors[0];
  if (out.shape.length !== 3) return null;
  const [, steps, width] = out.shape;
  const half = width / 2;
  const series: LineSeries[] = [];
  for (let u = 0; u < width; u++) {
    const values = Array.from({ length: steps }, (_, t) => out.values[t * width + u]);
    const forward = u < half;
    series.push({
      label: `${forward ? 'forward' : 'backward'} unit ${forward ? u : u - half}`,
      legend: forward ? 'forward half (units 0–2)' : 'backward half, aligned to input time',
      values,
      color: forward
        ? ['#1f5fbf', '#3b7fe0', '#7aa8ef'][u % 3]
        : ['#d9480f', '#f0712c', '#f7a46b'][u % 3],
      dashed: !forward,
    });
  }
  return lineChart({
    title: 'output over time (return_sequences=True)',
    xLabel: 'time step',
    xTicks: Array.from({ length: steps }, (_, t) => `t=${t}`),
    series,
  });
}

function renderSeed(run: SeedRun): void {
  const section = byId('seed');
  const rows = run.tensors.map((t) =>
    h(
      'div',
      { class: 'tensor-row', 'data-tensor': t.name },
      h(
        'div',
        { class: 'tensor-name' },
        `${t.name} `,
        h('span', { class: 'shape' }, `shape: ${formatShape(t.shape)}`),
      ),
      tensorView(t.values, t.shape),
    ),
  );
  byId('seed-outputs').replaceChildren(...rows);
  byId('seed-meta').textContent =
    `backend ${run.backend} · ${run.kernelPath} kernels · ${formatMs(run.ms)} ms`;
  const chart = seedChart(run);
  byId('seed-chart').replaceChildren(
    chart ?? h('p', { class: 'hint' }, 'Turn on return_sequences to plot the output over time.'),
  );
  section.dataset.backend = run.backend;
  section.dataset.returnSequences = String(run.returnSequences);
  section.dataset.state = 'done';
}

function renderSeedCheck(): void {
  const rows = [...seedByBackend.values()].map((run) => {
    const out = run.tensors[0];
    const last = out.shape.length === 3 ? (out.shape[1] - 1) * out.shape[2] : 0;
    const fw = out.values[last];
    const bw = run.tensors[3].values[0];
    return h(
      'tr',
      { 'data-backend': run.backend },
      h('td', {}, run.backend),
      h(
        'td',
        { class: 'mono' },
        h('span', { class: 'num', 'data-value': 'forward' }, float32String(fw)),
      ),
      h(
        'td',
        { class: 'mono' },
        h('span', { class: 'num', 'data-value': 'backward' }, float32String(bw)),
      ),
      h('td', {}, run.kernelPath),
    );
  });
  byId('seed-check-body').replaceChildren(...rows);
}

async function refreshSeed(): Promise<void> {
  const returnSequences = byId<HTMLInputElement>('seed-return-sequences').checked;
  byId('seed').dataset.state = 'running';
  try {
    const run = await serial(() => runSeed(returnSequences));
    renderSeed(run);
    seedByBackend.set(run.backend, run);
    renderSeedCheck();
  } catch (e) {
    byId('seed').dataset.state = 'error';
    byId('seed-outputs').replaceChildren(h('p', { class: 'error' }, messageOf(e)));
  }
}

function renderSeedInput(): void {
  byId('seed-input').replaceChildren(
    tensorView(SEED_INPUT.flat(2), [1, SEED_INPUT[0].length, SEED_INPUT[0][0].length]),
  );
}

// ---------------------------------------------------------------- benchmark

const RUNNER_COLORS = { rnnkit: '#1f5fbf', 'tfjs-layers': '#9aa5b1' };

function renderBench(results: BenchResult[]): void {
  const categories: string[] = [];
  const ms: (number | null)[][] = [];
  const gflops: (number | null)[][] = [];
  for (const w of WORKLOADS) {
    for (const backend of new Set(results.map((r) => r.backend))) {
      const pair = results.filter((r) => r.backend === backend && r.workload.id === w.id);
      if (pair.length === 0) continue;
      categories.push(`${backend}\n${w.id}`);
      const of = (runner: string): BenchResult | undefined => pair.find((r) => r.runner === runner);
      ms.push([of('rnnkit')?.medianMs ?? null, of('tfjs-layers')?.medianMs ?? null]);
      gflops.push([of('rnnkit')?.gflops ?? null, of('tfjs-layers')?.gflops ?? null]);
    }
  }
  const bars = [
    { name: 'rnnkit', color: RUNNER_COLORS.rnnkit },
    { name: 'tfjs-layers', color: RUNNER_COLORS['tfjs-layers'] },
  ];
  const width = Math.max(520, 110 * categories.length + 80);
  byId('bench-charts').replaceChildren(
    barChart({
      title: 'ms per forward (median, log scale; lower is faster)',
      categories,
      bars,
      values: ms,
      format: formatMs,
      log: true,
      width,
    }),
    barChart({
      title: 'GFLOP/s (2·T·B·4·U·(D+U) ÷ time; higher is faster)',
      categories,
      bars,
      values: gflops,
      format: (v) => v.toPrecision(2),
      log: true,
      width,
    }),
  );
  byId('bench-body').replaceChildren(
    ...results.map((r) =>
      h(
        'tr',
        { 'data-backend': r.backend, 'data-workload': r.workload.id, 'data-runner': r.runner },
        h('td', {}, r.backend),
        h('td', { class: 'mono' }, r.workload.id),
        h('td', {}, r.runner),
        h('td', { class: 'right' }, formatMs(r.medianMs)),
        h('td', { class: 'right' }, r.gflops.toPrecision(3)),
        h('td', {}, r.kernelPath ?? ''),
        h(
          'td',
          { class: 'right', 'data-max-abs-diff': r.maxAbsDiff ?? '' },
          r.maxAbsDiff === undefined ? '' : r.maxAbsDiff.toExponential(1),
        ),
      ),
    ),
  );
}

/** Timed repetitions: `?reps=N` in the URL overrides the input's default. */
function configuredReps(): number {
  const fromUrl = Number(new URLSearchParams(location.search).get('reps'));
  return Number.isInteger(fromUrl) && fromUrl > 0 ? fromUrl : 5;
}

async function runBench(): Promise<void> {
  const button = byId<HTMLButtonElement>('bench-run');
  const progress = byId('bench-progress');
  const reps = Math.max(1, Math.min(50, Number(byId<HTMLInputElement>('bench-reps').value) || 1));
  const backends = BACKEND_NAMES.filter(
    (n) => states.get(n)?.status === 'ready' && byId<HTMLInputElement>(`bench-on-${n}`).checked,
  );
  button.disabled = true;
  byId('bench').dataset.state = 'running';
  const results: BenchResult[] = [];
  try {
    if (backends.length === 0) throw new Error('benchmark: no started backend is selected');
    const home = active;
    await serial(async () => {
      try {
        for (const name of backends) {
          await activateBackend(name);
          for (const w of WORKLOADS) {
            progress.textContent = `running ${name} ${w.id}…`;
            results.push(...(await benchWorkload(w, 1, reps)));
            renderBench(results);
          }
        }
      } finally {
        if (home != null) await activateBackend(home);
      }
    });
    progress.textContent = `done: ${reps} timed forwards after 1 warm-up, per runner and shape`;
    byId('bench').dataset.state = 'done';
  } catch (e) {
    progress.textContent = messageOf(e);
    byId('bench').dataset.state = 'error';
  } finally {
    button.disabled = false;
  }
}

function renderBenchControls(): void {
  byId<HTMLInputElement>('bench-reps').value = String(configuredReps());
  byId('bench-backends').replaceChildren(
    ...BACKEND_NAMES.map((n) =>
      h('label', {}, h('input', { type: 'checkbox', id: `bench-on-${n}`, checked: true }), ` ${n}`),
    ),
  );
  byId('bench-run').addEventListener('click', () => void runBench());
}

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  renderPicker();
  renderSeedInput();
  renderBenchControls();
  setupModels();
  setupGenerate();
  setupTraining();
  byId('seed-return-sequences').addEventListener('change', () => void refreshSeed());
  const gpu = await probeWebGPU();
  if (gpu.ok) adapterLabel = gpu.adapter;
  else setState('webgpu', 'unavailable', `unavailable: ${gpu.reason}`);
  await selectBackend('cpu');
  // Start the other backends once so their status shows and the benchmark can use them;
  // cpu stays the active one.
  for (const name of BACKEND_NAMES) {
    if (states.get(name)?.status === 'idle') await startInBackground(name);
  }
  document.body.dataset.ready = 'true';
}

void start();
