/**
 * The `rnnkit` command line: `rnnkit summary MODEL [--backend NAME]`,
 * `rnnkit predict MODEL --input input.json [--backend cpu|wasm|webgpu] [--output out.json]` and
 * `rnnkit generate MODEL --vocab VOCAB --seed-text TEXT --length N`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, isBackendName, useBackend } from '@rnnkit/backends';
import {
  closeHdf5Reader,
  generate,
  KerasModelError,
  loadKerasModel,
  type KerasModel,
  type ModelInput,
} from '@rnnkit/keras';
import { readVocabulary } from './vocabulary.js';

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Where the CLI writes. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const USAGE = `Usage:
  rnnkit summary MODEL [--backend cpu|wasm|webgpu]
  rnnkit predict MODEL --input INPUT.json [--backend cpu|wasm|webgpu] [--output OUT.json]
                 [--outputs LAYER[,LAYER...]]
  rnnkit generate MODEL --vocab VOCAB --seed-text TEXT [--length N] [--temperature T]
                  [--seed S] [--backend cpu|wasm]

MODEL is a Keras 3 .keras file, a legacy .h5 file or a tfjs model.json (path or URL).
INPUT.json holds the input as nested arrays: one array for a single-input model, or
{"input": [...]}, or {"inputs": {"<input name>": [...]}} / {"<input name>": [...]} by name.
The result is JSON {"outputs": {"<layer>": [...]}, "shapes": {...}} on stdout or in OUT.json;
a timing line goes to stderr.
generate feeds a character-level model one character at a time (a model stream): the seed text,
then each character it samples (temperature 0: the most likely one; default 1; --length default
200, --seed default 1). VOCAB lists the characters by index: a JSON list, a JSON object from
index to character, or plain text.`;

class UsageError extends Error {}

interface Args {
  command: string;
  model: string;
  input?: string;
  output?: string;
  backend: string;
  outputs?: string[];
  vocab?: string;
  seedText?: string;
  length: number;
  temperature: number;
  seed: number;
}

const OPTIONS = [
  'input',
  'output',
  'backend',
  'outputs',
  'vocab',
  'seed-text',
  'length',
  'temperature',
  'seed',
];

/** A number option: `check` says what it must be. */
function numberFlag(
  flags: Record<string, string>,
  key: string,
  fallback: number,
  check: (n: number) => boolean,
  what: string,
): number {
  const raw = flags[key];
  if (raw == null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n))
    throw new UsageError(`--${key}: expected ${what}, got '${raw}'`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!OPTIONS.includes(key)) throw new UsageError(`unknown option --${key}`);
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value == null || value === '') throw new UsageError(`option --${key} needs a value`);
      flags[key] = value;
    } else positional.push(a);
  }
  const [command, model, ...rest] = positional;
  if (command == null) throw new UsageError('missing command (summary, predict or generate)');
  if (command !== 'summary' && command !== 'predict' && command !== 'generate')
    throw new UsageError(`unknown command '${command}'`);
  if (model == null) throw new UsageError(`${command}: missing MODEL`);
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (command === 'predict' && flags.input == null)
    throw new UsageError('predict: --input INPUT.json is required');
  if (command === 'generate' && (flags.vocab == null || flags['seed-text'] == null))
    throw new UsageError('generate: --vocab VOCAB and --seed-text TEXT are required');
  const backend = flags.backend ?? 'cpu';
  if (!isBackendName(backend)) {
    throw new UsageError(`--backend: expected one of ${BACKENDS.join(', ')}, got '${backend}'`);
  }
  return {
    command,
    model,
    input: flags.input,
    output: flags.output,
    backend,
    outputs: flags.outputs
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    vocab: flags.vocab,
    seedText: flags['seed-text'],
    length: numberFlag(
      flags,
      'length',
      200,
      (n) => Number.isInteger(n) && n >= 0,
      'an integer ≥ 0',
    ),
    temperature: numberFlag(flags, 'temperature', 1, (n) => n >= 0, 'a number ≥ 0'),
    seed: numberFlag(flags, 'seed', 1, Number.isInteger, 'an integer'),
  };
}

async function generateText(args: Args, io: CliIO): Promise<void> {
  await useBackend(args.backend);
  const vocabulary = await readVocabulary(args.vocab as string);
  const model = await loadKerasModel(args.model);
  try {
    const { text, msPerStep } = generate(model, {
      vocabulary,
      seedText: args.seedText as string,
      length: args.length,
      temperature: args.temperature,
      seed: args.seed,
    });
    io.out(`${args.seedText}${text}`);
    io.err(
      `rnnkit: generated ${args.length} characters, ${(msPerStep * 1000).toFixed(0)} µs per character on ${tf.getBackend()}`,
    );
  } finally {
    model.dispose();
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v);
}

/** Maps the input JSON onto the model's inputs. */
export function inputFromJson(json: unknown, model: KerasModel): ModelInput {
  if (Array.isArray(json)) {
    if (model.inputNames.length !== 1) {
      throw new KerasModelError(
        `input: the model takes ${model.inputNames.length} inputs (${model.inputNames.join(', ')}); give {"inputs": {"<name>": [...]}}`,
      );
    }
    return json as ModelInput;
  }
  if (!isObject(json))
    throw new KerasModelError(`input: expected nested arrays or an object, got ${typeof json}`);
  if (isObject(json.inputs)) return json.inputs as ModelInput;
  if (Array.isArray(json.inputs)) return json.inputs as ModelInput;
  if ('input' in json && !model.inputNames.includes('input')) {
    if (model.inputNames.length !== 1)
      throw new KerasModelError(
        `input: the model takes ${model.inputNames.length} inputs; give them by name`,
      );
    return json.input as ModelInput;
  }
  return json as ModelInput;
}

async function summary(args: Args, io: CliIO): Promise<void> {
  await useBackend(args.backend);
  const model = await loadKerasModel(args.model);
  try {
    io.out(model.summary(null));
    io.out(`Format: ${model.format}, saved by Keras ${model.kerasVersion}`);
  } finally {
    model.dispose();
  }
}

async function predict(args: Args, io: CliIO): Promise<void> {
  await useBackend(args.backend);
  const t0 = performance.now();
  const model = await loadKerasModel(args.model);
  const loadMs = performance.now() - t0;
  try {
    let json: unknown;
    const inputPath = args.input as string;
    try {
      json = JSON.parse(await readFile(inputPath, 'utf8'));
    } catch (e) {
      throw new KerasModelError(`--input ${inputPath}: ${messageOf(e)}`);
    }
    const input = inputFromJson(json, model);
    const t1 = performance.now();
    let named: Record<string, tf.Tensor>;
    if (args.outputs != null) named = model.predict(input, { outputs: args.outputs });
    else {
      const y = model.predict(input);
      const list = Array.isArray(y) ? y : [y];
      named = Object.fromEntries(list.map((t, i) => [model.outputNames[i], t]));
    }
    const outputs: Record<string, unknown> = {};
    const shapes: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(named)) {
      outputs[name] = await t.array();
      shapes[name] = t.shape;
    }
    const predictMs = performance.now() - t1;
    tf.dispose(Object.values(named));
    const result = { model: model.name, backend: tf.getBackend(), outputs, shapes, predictMs };
    const text = JSON.stringify(result);
    if (args.output != null) await writeFile(args.output, `${text}\n`);
    else io.out(text);
    const batch = Object.values(shapes)[0]?.[0];
    io.err(
      `rnnkit: predict ${predictMs.toFixed(2)} ms on ${tf.getBackend()} (batch ${batch}, load ${loadMs.toFixed(1)} ms)${args.output != null ? `, wrote ${args.output}` : ''}`,
    );
  } finally {
    model.dispose();
  }
}

/**
 * tfjs's cpu backend prints a banner on its first tensor in Node ("Hi, looks like you are running
 * TensorFlow.js in Node.js…", through tfjs-core's `warn`, which stays silent when the `PROD` flag
 * is set). It is noise on a command's output; production mode also skips tfjs's debug checks.
 */
function quietTfjs(): void {
  tf.enableProdMode();
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    io.out(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  quietTfjs();
  try {
    const args = parseArgs(argv);
    if (args.command === 'summary') await summary(args, io);
    else if (args.command === 'generate') await generateText(args, io);
    else await predict(args, io);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rnnkit: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`rnnkit: error: ${messageOf(e)}`);
    return 1;
  } finally {
    await closeHdf5Reader();
  }
}
