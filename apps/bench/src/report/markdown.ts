/** `docs/benchmarks.md`, written from one or more runs (e.g. a CPU host and a GPU host). */
import { SOFTWARE_GPU, type BenchResult } from '../bench.js';
import type { SavedRun } from '../saved_run.js';
import { NOT_SELECTED } from '../tfjs_env.js';
import { caption, cells, DIFF_WARN, HEADERS, stepRatioLines } from './format.js';

/** One run's section of the doc. */
export interface DocRun {
  run: SavedRun;
  /** Chart path relative to the doc, if one was written for this run. */
  chartHref: string | null;
  /** Free-form caveat (load on the machine, how the run was made). */
  note?: string;
  /** Where the run's JSON is saved, relative to the doc (runs re-rendered with `--from`). */
  savedHref?: string;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** Numeric columns (median, min–max, GFLOP/s), right-aligned. */
const RIGHT = new Set([1, 2, 3]);

/** A pipe table padded the way Prettier formats one, so the generated doc passes `prettier --check`. */
function table(headers: string[], rows: string[][]): string[] {
  const all = [headers, ...rows].map((r) => r.map(cell));
  const widths = headers.map((_, c) => Math.max(3, ...all.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    `| ${r.map((v, c) => (RIGHT.has(c) ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join(' | ')} |`;
  const rule = widths.map((w, c) => (RIGHT.has(c) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
  return [line(all[0]), `| ${rule.join(' | ')} |`, ...all.slice(1).map(line)];
}

function gpuLine(result: BenchResult): string {
  if (!result.gpuAdapter) return 'none found, so the webgpu runners were skipped';
  const software = result.runners.some((r) => r.unavailable?.startsWith(SOFTWARE_GPU));
  return software
    ? `${result.gpuAdapter} (a CPU emulation: the webgpu runners were skipped)`
    : result.gpuAdapter;
}

/** Whether any webgpu runner produced timings in this run. */
function gpuRan(run: SavedRun): boolean {
  return run.workloads.some((w) => w.rows.some((r) => r.backend === 'webgpu' && r.status === 'ok'));
}

const METHOD = [
  '## Method',
  '',
  '- Each runner does a few untimed warm-up forwards, then the timed samples (counts in each',
  "  table's caption). A sample is the mean time of one forward over a burst of back-to-back forwards",
  '  long enough to fill the sample length (`forwards/sample`, fixed per runner from a warm-up',
  '  forward), so that a 0.5 ms forward is timed in the steady state of repeated inference, as an',
  "  application calling it in a loop sees it, not with caches cooled by other runners' work. The",
  '  runner order alternates every rep (forward, then reversed) so drift does not favour one',
  '  runner. All runners share one Node process.',
  '- Before each timed sample the process idles 30 ms: worker threads that spin after their work go',
  "  to sleep, and the garbage collector's background work on what the previous runner left",
  '  finishes, instead of taking a core from the next runner (rnnkit-cpu-2t on lstm-w1 read 1.8 ms',
  '  after tfjs-layers with a 5 ms pause, 1.5 ms with 30 ms or without tfjs-layers). A sample of up',
  '  to 100 ms follows an untimed one of the same runner, so it does not absorb garbage collection',
  '  that the previous runner left pending (rnnkit-cpu on gru-before-w1 read 2.2 ms after',
  "  tfjs-layers' 1.4 s forwards, 1.6 ms on its own).",
  '- A forward is the model call plus reading its output back to JS (`await tensor.data()`, or',
  '  onnxruntime returning a CPU tensor), so GPU timings include synchronisation.',
  '- GFLOP/s = 2·time·batch·gates·units·(input+units) per direction ÷ median time (gate matmuls only).',
  '- `peer ÷ rnnkit time` > 1 means rnnkit is faster. tfjs-layers is compared with rnnkit on the same',
  '  tfjs backend; onnxruntime with every rnnkit backend. `-2t` runners run rnnkit on two threads',
  '  (`setThreads(2)` of @rnnkit/backend-cpu or -wasm); tfjs-layers runs on one.',
  '- `max |Δ|`: largest absolute difference of each output from the reference runner (rnnkit where it',
  `  ran); \`(!)\` marks a difference above ${DIFF_WARN}, i.e. a different computation, not rounding.`,
  '- tfjs-layers runs with `recurrentActivation: sigmoid` (its default differs from Keras). It has no GRU',
  '  `reset_after` (the Keras default), so the `gru-w*` rows show n/a for it; the `gru-before-w*`',
  '  workloads (GRU with `reset_after=False`, on every runner) compare it on GRU.',
  '- onnxruntime runs a single-op ONNX model (LSTM/GRU, `linear_before_reset` = Keras `reset_after`) built in memory',
  '  from the same Keras weights; its input is pre-transposed to time-major outside the timed window.',
  '  onnxruntime-web runs in a worker thread per thread count (1 and 2) and times `session.run` there;',
  '  onnxruntime-node uses one intra-op thread.',
  '- The wasm runners use WebAssembly SIMD, and relaxed SIMD (fused multiply-add) where the engine',
  '  has it: on by default in Chrome/Edge 114+ and Node 22+; on Node 20 the bench turns on its flag',
  '  (each run says which, under WebAssembly; `--no-relaxed-simd` leaves it off).',
  '- `rnnkit-wasm-2t` runs the same wasm kernels with `setThreads(2)`: a worker thread takes half of',
  '  the units of every step. Calls whose step is too small to pay for the barrier between steps',
  '  (such as batch 1 with 128 units) stay on one thread, so that row then matches `rnnkit-wasm`.',
  '- `rnnkit-cpu-2t` runs the same plain-JS kernels with `setThreads(2)`: the calling thread and a',
  '  worker claim column blocks of every large enough matrix product (the input projection and each',
  "  step's recurrent product) from a shared counter, the worker on its own copy of the packed",
  '  weights; results are the same to the bit as `rnnkit-cpu`. tfjs-layers has no threads on cpu.',
  '- `tensors` is the live tfjs tensor count before the first forward, and that plus the net change over',
  '  the forwards after the first (a layer may keep tensors for the next calls at its first, as rnnkit',
  '  layers keep their zero initial states); growth marks a leak. `GPU dispatches` counts compute',
  '  dispatches in one forward on webgpu.',
  '- `outside kernel` (rnnkit on cpu and wasm): per forward, the time spent outside the sequence',
  '  kernels (layer set-up, dispatch, read-back), and its share of the time in them.',
  '- Webgpu runners are skipped on a software adapter (SwiftShader) unless `--software-gpu` is given.',
  '- `train-*` workloads time a training step instead: `returnSequences: true`, loss `mean(output²)`,',
  "  gradients w.r.t. the layer's three weights read back (rnnkit: `tf.grads` through the layer;",
  '  tfjs-layers: `tf.variableGrads` of its variables). `rnnkit-<backend>-forward` times the forward',
  "  pass alone, and the step's row shows its ratio to it. Every runner's gradients (times `B·T`)",
  "  are compared with the reference runner's; onnxruntime does not train (n/a).",
  '',
];

function runSection({ run, chartHref, note }: DocRun, title: string): string[] {
  const { machine } = run;
  const lines: string[] = [
    `## ${title}`,
    '',
    '```sh',
    run.command,
    '```',
    '',
    `- CPU: ${machine.cpuModel}, ${machine.cores} logical cores available to Node`,
    `- Memory: ${machine.memoryGiB} GiB`,
    `- WebGPU adapter (Dawn): ${gpuLine(run)}`,
    `- Node ${machine.node}, ${machine.platform}`,
    ...(machine.wasm ? [`- WebAssembly: ${machine.wasm}`] : []),
    `- Peers: ${Object.entries(machine.peers)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}`,
    `- Finished: ${run.date}${run.options.quick ? ' (quick mode: reduced workloads)' : ''}`,
  ];
  if (run.dispatchCountSource && gpuRan(run)) {
    lines.push(`- GPU dispatches counted by ${run.dispatchCountSource}`);
  }
  if (note) lines.push('', `> ${note}`);
  lines.push('');
  if (chartHref) lines.push(`![GFLOP/s per runner and workload](${chartHref})`, '');
  for (const w of run.workloads) {
    lines.push(`### ${w.workload.id}`, '', caption(w, run.options), '');
    lines.push(
      ...table(
        HEADERS,
        w.rows.map((row) => cells(row, w)),
      ),
      '',
    );
    const ratios = stepRatioLines(w, (t) => `\`${t}\``);
    if (ratios.length > 0) lines.push(...ratios, '');
  }
  const missing = run.runners.filter((r) => r.unavailable && r.unavailable !== NOT_SELECTED);
  if (missing.length) {
    lines.push('Runners that did not run:', '');
    for (const r of missing) lines.push(`- \`${r.id}\`: ${r.unavailable}`);
    lines.push('');
  }
  return lines;
}

/** A section title naming the host: CPU, and the GPU when the webgpu runners ran on one. */
function title(run: SavedRun): string {
  const host = `${run.machine.cpuModel}, ${run.machine.cores} cores`;
  return gpuRan(run) && run.gpuAdapter ? `${host}, WebGPU on ${run.gpuAdapter}` : host;
}

/** Renders the whole document: the method once, then one section per run. */
export function renderMarkdown(runs: DocRun[]): string {
  if (runs.length === 0) throw new RangeError('renderMarkdown: expected at least one run, got 0');
  const lines: string[] = [
    '# Benchmarks',
    '',
    'Float32 forward inference (`returnSequences: false`), streaming one timestep per call (`stream-*`)',
    'and training steps (`train-*`) of rnnkit layers against tfjs-layers and onnxruntime with',
    'identical weights and inputs, measured by `@rnnkit/bench` (`apps/bench`).',
    'This file is generated by the bench: rerun the command of each section to refresh it, or re-render',
    'saved runs with `pnpm bench --from run.json [--from gpu-run.json] --markdown docs/benchmarks.md`.',
  ];
  const saved = runs.flatMap((r) => (r.savedHref ? [`[${r.savedHref}](${r.savedHref})`] : []));
  if (saved.length > 0) {
    const list =
      saved.length === 1 ? saved[0] : `${saved.slice(0, -1).join(', ')} and ${saved.at(-1)}`;
    lines.push(`The runs below are saved as ${list}.`);
  }
  lines.push('', ...METHOD);
  for (const r of runs) lines.push(...runSection(r, title(r.run)));
  return lines.join('\n');
}
