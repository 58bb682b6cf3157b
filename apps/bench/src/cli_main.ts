/**
 * The command: runs the side-by-side benchmark (or loads a saved run with `--from`), prints a
 * table per workload, and optionally writes JSON, an SVG chart and the Markdown doc. Output paths
 * are taken relative to the directory the command was typed in (pnpm runs scripts inside
 * apps/bench but sets INIT_CWD to that directory).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultOptions, runBench } from './bench.js';
import { parseArgs, USAGE, type CliArgs } from './cli.js';
import { describeRelaxedSimd, settleProcess, setupRelaxedSimd } from './engine.js';
import { machineInfo } from './machine.js';
import { renderMarkdown } from './report/markdown.js';
import { renderChart } from './report/svg.js';
import { textTable } from './report/table.js';
import type { SavedRun } from './saved_run.js';
import { runProblems } from './verdict.js';

function writeOut(baseDir: string, file: string, text: string): string {
  const abs = path.resolve(baseDir, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return abs;
}

/**
 * The command as typed from the repository root, without pnpm's `--` and without `--note`
 * (doc text that does not change what is measured).
 */
function commandLine(argv: readonly string[]): string {
  const kept = argv.filter((a, i) => a !== '--' && a !== '--note' && argv[i - 1] !== '--note');
  const quoted = kept.map((a) => (/^[\w./:=^-]+$/.test(a) ? a : `'${a}'`));
  return ['pnpm bench', ...quoted].join(' ');
}

async function measure(args: CliArgs, argv: readonly string[]): Promise<SavedRun> {
  // Before any WebAssembly module compiles.
  const relaxed = setupRelaxedSimd(args.relaxedSimd);
  const defaults = defaultOptions(args.quick);
  const reps = args.reps ?? defaults.reps;
  const warmup = args.warmup ?? defaults.warmup;
  const sampleMs = args.sampleMs ?? defaults.sampleMs;
  const result = await runBench({
    quick: args.quick,
    reps,
    warmup,
    sampleMs,
    filter: args.filter,
    softwareGpu: args.softwareGpu,
    settle: settleProcess,
    log: (line) => console.error(line),
    onWorkload: (w) => console.log(`\n${textTable(w, { reps, warmup, sampleMs })}`),
  });
  return {
    command: commandLine(argv),
    machine: machineInfo(describeRelaxedSimd(relaxed)),
    ...result,
  };
}

function load(baseDir: string, file: string): SavedRun {
  const run = JSON.parse(readFileSync(path.resolve(baseDir, file), 'utf8')) as Partial<SavedRun>;
  if (run.schema !== 1 || !Array.isArray(run.workloads) || !run.machine) {
    throw new Error(`--from: expected a JSON file written by --json (schema 1), got ${file}`);
  }
  const saved = run as SavedRun;
  for (const w of saved.workloads) {
    console.log(`\n${textTable(w, saved.options)}`);
  }
  return saved;
}

/**
 * Runs the bench for `argv` (flags only) and resolves to the process exit code: 1 when a measured
 * run has problems ({@link runProblems}; on CI every backend must run). `baseDir` anchors
 * relative paths.
 */
export async function runCli(
  argv: string[],
  baseDir = process.env.INIT_CWD ?? process.cwd(),
): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const runs = args.from.length
    ? args.from.map((f) => load(baseDir, f))
    : [await measure(args, argv)];
  const run = runs[0];
  const unavailable = run.runners.filter((r) => r.unavailable);
  if (unavailable.length) {
    console.log('\nRunners not run:');
    for (const r of unavailable) console.log(`  ${r.id}: ${r.unavailable}`);
  }
  if (args.json) {
    console.log(`\nwrote ${writeOut(baseDir, args.json, JSON.stringify(run, null, 2) + '\n')}`);
  }
  let chartFile: string | undefined;
  if (args.chart) {
    chartFile = writeOut(baseDir, args.chart, renderChart(run));
    console.log(`wrote ${chartFile}`);
  }
  if (args.markdown) {
    const mdAbs = path.resolve(baseDir, args.markdown);
    const chartHref = chartFile
      ? path.relative(path.dirname(mdAbs), chartFile).split(path.sep).join('/')
      : null;
    const relative = (file: string): string =>
      path.relative(path.dirname(mdAbs), path.resolve(baseDir, file)).split(path.sep).join('/');
    const doc = renderMarkdown(
      runs.map((r, i) => ({
        run: r,
        chartHref: i === 0 ? chartHref : null,
        note: args.notes[i],
        savedHref: args.from[i] == null ? undefined : relative(args.from[i]),
      })),
    );
    console.log(`wrote ${writeOut(baseDir, args.markdown, doc)}`);
  }
  if (args.from.length) return 0;
  const problems = runProblems(run, { allBackends: inCi(process.env.CI) });
  if (problems.length) {
    console.error(`\nThe run has problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    return 1;
  }
  return 0;
}

/** `CI` set to anything but empty, `0` or `false`. */
function inCi(value: string | undefined): boolean {
  return !['', '0', 'false'].includes((value ?? '').trim().toLowerCase());
}
