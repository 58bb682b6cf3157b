/**
 * Keras model import: a dropped `.keras`, `.h5` or tfjs `model.json` (+ weight shards) is read by
 * `@rnnkit/keras` in the page and run on the active backend with typed or random input.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as KerasApi from '@rnnkit/keras';
import type { KerasModel, LoadOptions } from '@rnnkit/keras';
import { byId, h, messageOf } from './dom.js';
import { formatMs, formatShape, tensorView } from './format.js';
import { serial } from './serial.js';

type KerasModule = typeof KerasApi;

let keras: KerasModule | null = null;
let model: KerasModel | null = null;
let lastRunInput: string | null = null;

async function loadKerasModule(): Promise<KerasModule> {
  keras ??= await import('@rnnkit/keras');
  return keras;
}

function setStatus(text: string, kind: 'info' | 'error' | 'ok'): void {
  const el = byId('model-status');
  el.textContent = text;
  el.dataset.kind = kind;
}

/** Bytes of a model file plus, for tfjs `model.json`, its weight shards by file name. */
interface ModelBytes {
  label: string;
  bytes: Uint8Array;
  options: LoadOptions;
}

async function fromFiles(files: readonly File[]): Promise<ModelBytes> {
  if (files.length === 0) throw new Error('model files: expected at least one file, got none');
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  const main = json ?? files[0];
  if (json == null && files.length > 1) {
    throw new Error(
      `model files: expected one .keras/.h5 file, or a model.json with its weight shards; got ${files.length} files without a .json`,
    );
  }
  const weightShards: Record<string, Uint8Array> = {};
  for (const f of files) {
    if (f !== main) weightShards[f.name] = new Uint8Array(await f.arrayBuffer());
  }
  const label = files.map((f) => f.name).join(' + ');
  return {
    label,
    bytes: new Uint8Array(await main.arrayBuffer()),
    options: json != null ? { weightShards, name: main.name } : { name: label },
  };
}

/**
 * The example: the seed layer built and saved by tfjs-layers itself (model.json + shard), with
 * Keras's LSTM settings made explicit (sigmoid gates, unit forget bias). Loaded back through
 * `@rnnkit/keras`, it must print Keras's seed numbers.
 */
async function exampleModel(): Promise<ModelBytes> {
  const tfl = await import('@tensorflow/tfjs-layers');
  const lstm = tfl.layers.lstm({
    units: 3,
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    unitForgetBias: true,
    kernelInitializer: tfl.initializers.constant({ value: 0.1 }),
    recurrentInitializer: tfl.initializers.constant({ value: 0.1 }),
    biasInitializer: 'zeros',
  });
  const seq = tfl.sequential({ name: 'seed_bilstm' });
  seq.add(tfl.layers.bidirectional({ layer: lstm, mergeMode: 'concat', inputShape: [4, 5] }));
  let saved: tf.io.ModelArtifacts | null = null;
  await seq.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  seq.dispose();
  const artifacts = saved as tf.io.ModelArtifacts | null;
  if (artifacts?.weightData == null || artifacts.weightSpecs == null) {
    throw new Error('example: tfjs-layers saved no weights');
  }
  const data = artifacts.weightData;
  const shard = new Uint8Array(
    Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer),
  );
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['seed_bilstm.weights.bin'], weights: artifacts.weightSpecs }],
  };
  return {
    label: 'example: seed BiLSTM saved by tfjs-layers (model.json)',
    bytes: new TextEncoder().encode(JSON.stringify(modelJson)),
    options: { weightShards: { 'seed_bilstm.weights.bin': shard } },
  };
}

function renderSummary(m: KerasModel, label: string): void {
  const rows = m.layers.map((l) =>
    h(
      'tr',
      {},
      h('td', {}, l.name),
      h('td', {}, l.className),
      h('td', { class: 'mono' }, l.outputShapes.map(formatShape).join(' ')),
      h('td', { class: 'right' }, l.params.toLocaleString('en-US')),
    ),
  );
  byId('model-summary').replaceChildren(
    h(
      'p',
      {},
      h('strong', {}, m.name),
      ` (${m.className}, ${m.format}, written by ${m.kerasVersion}) from ${label}`,
    ),
    h(
      'table',
      { class: 'grid-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'layer'),
          h('th', {}, 'class'),
          h('th', {}, 'output shape'),
          h('th', {}, 'params'),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}

/** Seeded random input for the loaded model: batch 2, unknown time steps 4. */
function randomInput(m: KerasModel): string {
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  // An Embedding wants token ids; everything else gets values in [0, 1).
  const wantsIds = m.layers.some((l) => l.className === 'Embedding');
  const build = (shape: readonly (number | null)[]): unknown => {
    const [first, ...rest] = shape;
    const n = first ?? 4;
    if (rest.length === 0) {
      return Array.from({ length: n }, () =>
        wantsIds ? Math.floor(next() * 10) : Math.round(next() * 1000) / 1000,
      );
    }
    return Array.from({ length: n }, () => build(rest));
  };
  const values = m.inputShapes.map((shape) => build([2, ...shape.slice(1)]));
  const input =
    values.length === 1
      ? values[0]
      : Object.fromEntries(m.inputNames.map((n, i) => [n, values[i]]));
  return JSON.stringify(input);
}

async function runModel(text: string): Promise<void> {
  const m = model;
  if (m == null) throw new Error('run: load a model first');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `input: expected JSON (nested arrays of numbers), got a parse error: ${messageOf(e)}`,
    );
  }
  const t0 = performance.now();
  const out = m.predict(input as Parameters<KerasModel['predict']>[0]);
  const list = Array.isArray(out) ? out : [out];
  try {
    const values = await Promise.all(list.map((t) => t.data()));
    const ms = performance.now() - t0;
    byId('model-output').replaceChildren(
      h('p', { class: 'meta' }, `backend ${tf.getBackend()} · ${formatMs(ms)} ms`),
      ...list.map((t, i) =>
        h(
          'div',
          { class: 'tensor-row', 'data-output': m.outputNames[i] ?? String(i) },
          h(
            'div',
            { class: 'tensor-name' },
            `${m.outputNames[i] ?? i} `,
            h('span', { class: 'shape' }, `shape: ${formatShape(t.shape)}`),
          ),
          tensorView(values[i], t.shape, 64),
        ),
      ),
    );
    byId('model-output').dataset.backend = tf.getBackend();
    lastRunInput = text;
  } finally {
    tf.dispose(list);
  }
}

async function load(get: () => Promise<ModelBytes>): Promise<void> {
  setStatus('loading…', 'info');
  byId('model-output').replaceChildren();
  byId('model-section').dataset.state = 'loading';
  try {
    const k = await loadKerasModule().catch((e: unknown) => {
      throw new Error(
        `@rnnkit/keras could not be loaded in this page (${messageOf(e)}). Model import also runs in Node through the rnnkit CLI of @rnnkit/keras.`,
      );
    });
    const src = await get();
    const loaded = await serial(() => k.loadKerasModel(src.bytes, src.options));
    model?.dispose();
    model = loaded;
    lastRunInput = null;
    renderSummary(loaded, src.label);
    byId<HTMLTextAreaElement>('model-input').value = randomInput(loaded);
    for (const id of ['model-run', 'model-random']) byId<HTMLButtonElement>(id).disabled = false;
    setStatus(`loaded ${src.label}`, 'ok');
    byId('model-section').dataset.state = 'loaded';
  } catch (e) {
    setStatus(messageOf(e), 'error');
    byId('model-section').dataset.state = 'error';
  }
}

async function run(): Promise<void> {
  const text = byId<HTMLTextAreaElement>('model-input').value;
  byId('model-section').dataset.state = 'running';
  try {
    await serial(() => runModel(text));
    setStatus(`ran ${model?.name ?? 'the model'} on ${tf.getBackend()}`, 'ok');
    byId('model-section').dataset.state = 'ran';
  } catch (e) {
    setStatus(messageOf(e), 'error');
    byId('model-section').dataset.state = 'error';
  }
}

/** Runs the last input again (after a backend switch), if the model has run before. */
export async function rerunModel(): Promise<void> {
  if (model != null && lastRunInput != null) {
    byId<HTMLTextAreaElement>('model-input').value = lastRunInput;
    await run();
  }
}

/** Wires the drop zone, file input, example button and run controls. */
export function setupModels(): void {
  const drop = byId('model-drop');
  const fileInput = byId<HTMLInputElement>('model-file');
  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files ?? []);
    if (files.length) void load(() => fromFiles(files));
    fileInput.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length) void load(() => fromFiles(files));
  });
  byId('model-example').addEventListener('click', () => void load(exampleModel));
  byId('model-random').addEventListener('click', () => {
    if (model != null) byId<HTMLTextAreaElement>('model-input').value = randomInput(model);
  });
  byId('model-run').addEventListener('click', () => void run());
}
