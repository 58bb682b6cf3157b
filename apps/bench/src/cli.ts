/** Command-line parsing for `node dist/main.js`. */

/** Parsed flags. */
export interface CliArgs {
  quick: boolean;
  reps?: number;
  warmup?: number;
  sampleMs?: number;
  filter?: RegExp;
  json?: string;
  chart?: string;
  markdown?: string;
  /** Caveat lines for the doc, one per run (in `--from` order). */
  notes: string[];
  /** Re-render from saved `--json` files instead of measuring. */
  from: string[];
  softwareGpu: boolean;
  /** Enable WebAssembly relaxed SIMD where the engine has it behind a flag (default true). */
  relaxedSimd: boolean;
  help: boolean;
}

/** Usage text. */
export const USAGE = `Usage: node dist/main.js [options]   (from the repo root: pnpm bench [options])

  --quick             small workloads, few reps (smoke test, < 2 min; no timing claims)
  --filter <regex>    keep (workload, runner) pairs matching "<workload>/<runner>",
                      e.g. "webgpu", "lstm-w1", "^gru", "lstm-w2/(rnnkit|ort)"
  --reps <n>          timed forwards per runner (default 9, quick 3)
  --warmup <n>        untimed forwards first (default 3, quick 1)
  --sample-ms <ms>    a sample averages back-to-back forwards filling this many ms (default
                      25; quick and 0: one forward per sample)
  --json <path>       write the results as JSON
  --chart <path>      write an SVG bar chart of GFLOP/s
  --markdown <path>   write the benchmarks doc (machine, command, tables, chart)
  --note <text>       a caveat line for the doc (e.g. machine load); repeat it per --from run
  --from <json>       print and re-render (--chart, --markdown) a saved --json run, measuring
                      nothing; repeat it to put several runs (say a CPU and a GPU host) in one
                      doc (the chart shows the first)
  --software-gpu      run the webgpu runners on a software adapter (SwiftShader) too
  --no-relaxed-simd   leave WebAssembly relaxed SIMD off where Node has it behind a flag
                      (Node 20; it is on by default in Node 22+ and Chrome/Edge 114+)
  --help              this text

Workloads: lstm-w1 lstm-w2 lstm-w3 gru-w1 gru-w2 bilstm-w2 gru-before-w1 gru-before-w2
convlstm2d-b1 convlstm2d-b4 lstm-s512 stream-lstm-w1 stream-gru-w1 stream-lstm-s512
train-lstm-t1 train-lstm-w2 train-gru-before-t1 train-gru-before-w2 train-convlstm2d-b1
(gru: reset_after, the Keras default; gru-before: reset_after=False; convlstm2d: 10 frames of
32×32×8, 16 filters, 3×3 same, batch 1 and 4; stream-*: one step at a time, stateful;
quick: lstm-q gru-q bilstm-q stream-lstm-q train-lstm-q train-gru-before-q; train-*: training steps,
forward and backward, loss mean(y²) over the output sequence).
Runners: rnnkit-{cpu,wasm,wasm-2t,webgpu} rnnkit-{cpu,wasm,webgpu}-forward (training
workloads' forward pass alone) tfjs-layers-{cpu,wasm,webgpu} ort-web-1t ort-web-2t\nort-node-1t.`;

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) {
    throw new Error(
      `${flag}: expected a positive integer, got ${value === undefined ? 'nothing' : `'${value}'`}`,
    );
  }
  return n;
}

function nonNegativeNumber(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(
      `${flag}: expected a number ≥ 0, got ${value === undefined ? 'nothing' : `'${value}'`}`,
    );
  }
  return n;
}

/** Parses argv (without node and script). A bare `--` (from `pnpm bench -- …`) is ignored. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = {
    quick: false,
    softwareGpu: false,
    relaxedSimd: true,
    help: false,
    notes: [],
    from: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--'))
        throw new Error(`${flag}: expected a value, got ${v ?? 'nothing'}`);
      return v;
    };
    switch (flag) {
      case '--':
        break;
      case '--quick':
        args.quick = true;
        break;
      case '--software-gpu':
        args.softwareGpu = true;
        break;
      case '--no-relaxed-simd':
        args.relaxedSimd = false;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--reps':
        args.reps = positiveInt(flag, argv[++i]);
        break;
      case '--warmup':
        args.warmup = positiveInt(flag, argv[++i]);
        break;
      case '--sample-ms':
        args.sampleMs = nonNegativeNumber(flag, argv[++i]);
        break;
      case '--filter': {
        const src = value();
        try {
          args.filter = new RegExp(src);
        } catch (err) {
          throw new Error(
            `--filter: expected a regular expression, got '${src}' (${(err as Error).message})`,
          );
        }
        break;
      }
      case '--json':
        args.json = value();
        break;
      case '--chart':
        args.chart = value();
        break;
      case '--markdown':
        args.markdown = value();
        break;
      case '--from':
        args.from.push(value());
        break;
      case '--note':
        args.notes.push(value());
        break;
      default:
        throw new Error(`unknown argument '${flag}' (expected one of the flags in --help)`);
    }
  }
  if (args.notes.length > Math.max(1, args.from.length)) {
    throw new Error(
      `--note: expected at most one per run (${Math.max(1, args.from.length)}), got ${args.notes.length}`,
    );
  }
  if (args.from.length > 1 && args.json) {
    throw new Error(`--json: expected a single run, got ${args.from.length} --from files`);
  }
  return args;
}
