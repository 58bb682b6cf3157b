// @ts-check
/**
 * End-to-end test of the page: builds it with Vite, serves the build on 127.0.0.1 (vite
 * preview), and drives Debian's Chromium headless through playwright-core:
 *
 * - the seed numbers on every backend that starts (cpu and wasm must; webgpu must when the
 *   browser offers an adapter), against Keras's printout, and the return_sequences contract;
 * - Keras files from ../shared/keras-models (when present) dropped on the page, against their
 *   expected.json, and the built-in tfjs-layers example against the seed printout; a malformed
 *   .h5 that traps the HDF5 library first (it runs in a Web Worker: the page stays responsive
 *   and the next good file loads);
 * - text generation: the shared char-RNN dropped in, generated in a Web Worker (length,
 *   vocabulary, same seed same text, tokens/s); training the sine forecaster on cpu lowers the
 *   loss below half its first epoch's and draws it;
 * - the benchmark: both charts render, every started backend has rows, and rnnkit agrees with
 *   tfjs-layers on the same weights;
 * - conformance.html: every case file of @rnnkit/conformance passes on cpu and wasm, and on
 *   webgpu when the browser offers an adapter, with the fused kernel and no leaked tensor; the
 *   main page never loads the cases.
 *
 * Writes artifacts/web/screenshot.png and artifacts/web/conformance.png at the repository root
 * (and docs/web-screenshot.png with UPDATE_DOCS_SCREENSHOT=1). Chromium comes from `scripts/install-webgpu-deps.sh --browser`.
 */
// Functions passed to page.evaluate run in the page, with the browser's globals:
/* global document, DataTransfer, atob, File, Navigator, WebAssembly */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { crashingHdf5 } from '../../../packages/keras/test/byte_mutations.js';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(webDir, '..', '..');
const sharedModels = resolve(repoRoot, '..', 'shared', 'keras-models');
const wildModels = resolve(repoRoot, '..', 'shared', 'wild-models');
const screenshotPath = join(repoRoot, 'artifacts', 'web', 'screenshot.png');
const conformanceShotPath = join(repoRoot, 'artifacts', 'web', 'conformance.png');
const casesDir = join(repoRoot, 'packages', 'conformance', 'cases');
const docsScreenshotPath = join(repoRoot, 'docs', 'web-screenshot.png');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());
// A hang guard, not a speed check: the Vite build alone takes 20–100 s on a shared 2-core runner.
const TOTAL_LIMIT_MS = 420_000;

// Keras's printout for the seed (the README of ../shared/seed): output = [fw_h, bw_h].
const KERAS_FORWARD = 0.6303139;
const KERAS_BACKWARD = 0.70387346;
// One float32 ulp in [0.5, 1): TensorFlow's float32 rounding may differ from an exact float32
// evaluation by this much (0.70387346 vs 0.7038734), and no more.
const ULP = 2 ** -24;
// Model outputs against numpy float64 of the Keras equations, as @rnnkit/keras's tests require.
const MODEL_TOLERANCE = 1e-4;

const t0 = Date.now();
/** @param {string} text */
function step(text) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${text}`);
}

/**
 * Asserts `got` is the float32 nearest `want` or its neighbour, naming `what`.
 * @param {number} got @param {number} want @param {string} what
 */
function assertUlp(got, want, what) {
  const diff = Math.abs(Math.fround(got) - Math.fround(want));
  assert.ok(
    diff <= ULP,
    `${what}: expected ${want} within one float32 ulp, got ${got} (off by ${diff})`,
  );
}

/** @param {unknown} v @returns {number[]} */
function flat(v) {
  return Array.isArray(v) ? v.flatMap(flat) : [/** @type {number} */ (v)];
}

const watchdog = setTimeout(() => {
  console.error(`e2e: gave up after ${TOTAL_LIMIT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_LIMIT_MS);
watchdog.unref();

if (!existsSync(chromiumPath)) {
  console.error(
    `e2e: expected Chromium at ${chromiumPath}, found nothing; run 'scripts/install-webgpu-deps.sh --browser' as root (or set CHROMIUM_PATH)`,
  );
  process.exit(1);
}

step('vite build');
await build({ root: webDir, logLevel: 'error' });
const server = await preview({
  root: webDir,
  logLevel: 'error',
  preview: { host: '127.0.0.1', port: 0 },
});
const url = server.resolvedUrls?.local[0];
assert.ok(url, 'vite preview: expected a local URL, got none');
step(`serving ${url}`);

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
/** @type {string[]} */
const pageErrors = [];
/** @type {Map<string, string>} */
const wasmTypes = new Map();
/** @type {string[]} */
const mainPageRequests = [];
const summary = /** @type {Record<string, string>} */ ({});
/** @type {string[]} URLs of the HDF5 reader's Web Workers. */
const hdf5Workers = [];
/** @type {string[]} URLs of the text-generation Web Workers. */
const generateWorkers = [];

try {
  const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('worker', (w) => {
    if (w.url().includes('web_worker')) hdf5Workers.push(w.url());
    if (w.url().includes('generate_worker')) generateWorkers.push(w.url());
  });
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasmTypes.set(r.url(), r.headers()['content-type'] ?? '');
  });
  page.on('request', (r) => mainPageRequests.push(r.url()));
  await page.goto(`${url}?reps=2`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  step('page ready');

  /** @returns {Promise<Record<string, {status: string, message: string}>>} */
  const backendStates = () =>
    page.$$eval('#backend-list [data-backend]', (els) =>
      Object.fromEntries(
        els.map((el) => [
          /** @type {HTMLElement} */ (el).dataset.backend,
          {
            status: /** @type {HTMLElement} */ (el).dataset.status ?? '',
            message: el.querySelector('.backend-status')?.textContent ?? '',
          },
        ]),
      ),
    );
  const states = await backendStates();
  for (const [name, st] of Object.entries(states)) summary[name] = `${st.status}: ${st.message}`;
  assert.equal(states.cpu?.status, 'ready', `cpu backend: ${states.cpu?.message}`);
  assert.equal(states.wasm?.status, 'ready', `wasm backend: ${states.wasm?.message}`);
  if (states.webgpu?.status === 'unavailable') {
    step(`webgpu skipped: ${states.webgpu.message}`);
  } else {
    assert.equal(
      states.webgpu?.status,
      'ready',
      `webgpu backend (an adapter is present): ${states.webgpu?.message}`,
    );
  }
  const ready = Object.keys(states).filter((n) => states[n].status === 'ready');
  assert.ok(
    [...wasmTypes.values()].every((t) => t === 'application/wasm'),
    `.wasm files: expected Content-Type application/wasm, got ${JSON.stringify([...wasmTypes])}`,
  );

  /** Values of one seed tensor as displayed. @param {string} name */
  const seedValues = (name) =>
    page.$$eval(`#seed-outputs [data-tensor="${name}"] .num`, (els) =>
      els.map((e) => Number(e.textContent)),
    );
  /** @param {string} name @param {boolean} returnSequences */
  const waitSeed = (name, returnSequences) =>
    page.waitForSelector(
      `#seed[data-state="done"][data-backend="${name}"][data-return-sequences="${returnSequences}"]`,
      { timeout: 60_000 },
    );

  // The seed, return_sequences=False, on each started backend.
  for (const name of ready) {
    await page.check(`#backend-${name}`);
    await waitSeed(name, false);
    const out = await seedValues('output');
    assert.equal(
      out.length,
      6,
      `${name} output: expected 6 values (shape (1, 6)), got ${out.length}`,
    );
    for (let i = 0; i < 3; i++) assertUlp(out[i], KERAS_FORWARD, `${name} output[0, ${i}]`);
    for (let i = 3; i < 6; i++) assertUlp(out[i], KERAS_BACKWARD, `${name} output[0, ${i}]`);
    assert.deepEqual(
      await seedValues('forward_h'),
      out.slice(0, 3),
      `${name}: forward_h equals the output's forward half`,
    );
    assert.deepEqual(
      await seedValues('backward_h'),
      out.slice(3),
      `${name}: backward_h equals the output's backward half`,
    );
    const shapes = await page.$$eval('#seed-outputs .shape', (els) =>
      els.map((e) => e.textContent),
    );
    assert.deepEqual(
      shapes,
      ['shape: (1, 6)', ...Array(4).fill('shape: (1, 3)')],
      `${name}: shapes of the five tensors`,
    );
    const kernels = await page.$eval(
      `#seed-check tr[data-backend="${name}"] td:last-child`,
      (e) => e.textContent,
    );
    summary[name] += ` · seed ${out[0]} / ${out[3]} (${kernels} kernels)`;
    step(`seed on ${name}: ${out[0]} / ${out[3]}, ${kernels} kernels`);
  }
  const checkRows = await page.$$eval('#seed-check-body tr', (rows) =>
    rows.map((r) => r.getAttribute('data-backend')),
  );
  assert.deepEqual(
    checkRows.sort(),
    [...ready].sort(),
    'the per-backend table lists every started backend',
  );

  // return_sequences=True on cpu: (1, 4, 6), forward half ends in forward_h, backward half
  // (aligned to input time) starts with backward_h; the chart draws all six lines.
  await page.check('#backend-cpu');
  await waitSeed('cpu', false);
  await page.check('#seed-return-sequences');
  await waitSeed('cpu', true);
  const seq = await seedValues('output');
  const seqShape = await page.$eval(
    '#seed-outputs [data-tensor="output"] .shape',
    (e) => e.textContent,
  );
  assert.equal(seqShape, 'shape: (1, 4, 6)', 'return_sequences output shape');
  assert.deepEqual(
    seq.slice(18, 21),
    await seedValues('forward_h'),
    'output[0, 3, :3] equals forward_h',
  );
  assert.deepEqual(
    seq.slice(3, 6),
    await seedValues('backward_h'),
    'output[0, 0, 3:] equals backward_h',
  );
  const lines = await page.$$eval('#seed-chart svg polyline.series', (els) => els.length);
  assert.equal(lines, 6, 'seed chart: expected 6 lines (3 forward, 3 backward units)');
  step('return_sequences and chart checked');

  // Keras model import: the shared real Keras files (and real models people published, with
  // the layers around their recurrent ones), through drop and the file input.
  /** Drops files on the page's model drop zone. @param {{name: string, bytes: Uint8Array}[]} files */
  const dropFiles = async (files) => {
    const list = files.map(({ name, bytes }) => ({
      name,
      b64: Buffer.from(bytes).toString('base64'),
    }));
    const dataTransfer = await page.evaluateHandle((items) => {
      const dt = new DataTransfer();
      for (const { name, b64 } of items) {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([data], name));
      }
      return dt;
    }, list);
    await page.dispatchEvent('#model-drop', 'drop', { dataTransfer });
  };

  // A malformed .h5 that traps the HDF5 library (the hostile tests' file): the library runs in a
  // Web Worker, so the trap costs that worker only. The page stays responsive, says what went
  // wrong, and the next good .h5 (the first fixture below) loads and matches.
  const goodH5 = join(sharedModels, 'keras380_simplernn_relu_h5', 'simple_rnn_model.h5');
  if (existsSync(goodH5)) {
    await dropFiles([{ name: 'crashing.h5', bytes: crashingHdf5(await readFile(goodH5)) }]);
    await page.waitForSelector('#model-section[data-state="error"]', { timeout: 60_000 });
    const message = (await page.textContent('#model-status')) ?? '';
    assert.match(
      message,
      /crashing\.h5: malformed HDF5 data \(memory access out of bounds\)/,
      `crashing .h5: expected the trap reported as malformed HDF5 data, got '${message}'`,
    );
    const started = Date.now();
    await page.evaluate(() => document.title);
    const replyMs = Date.now() - started;
    assert.ok(
      replyMs < 1_000,
      `page after the trap: expected a reply within 1 s, got ${replyMs} ms`,
    );
    assert.ok(
      hdf5Workers.length >= 1,
      `HDF5 reader: expected it to run in a Web Worker, saw workers [${hdf5Workers.join(', ')}]`,
    );
    step(`crashing .h5 reported in a Web Worker ('${message}'); page replied in ${replyMs} ms`);
  } else {
    assert.ok(!inCi, `${goodH5}: not present (required on CI)`);
  }

  const fixtures = [
    // First after the crashing file: the HDF5 reader must recover for it.
    { id: 'keras380_simplernn_relu_h5', via: 'drop' },
    { id: 'keras3150_stacked_gru_dotkeras', via: 'file input' },
    { id: 'sunspot_conv1d_stacked_lstm_k214', via: 'drop', root: wildModels },
    { id: 'cnn_cudnnlstm_attention_k220', via: 'drop', root: wildModels },
    { id: 'stacked_lstm_dotkeras_k333', via: 'drop', root: wildModels },
    { id: 'speech_lstm_gru_dotkeras_tfk215', via: 'drop', root: wildModels },
    { id: 'tfjs_bilstm_bn_flight_k3132', via: 'drop', root: wildModels, shards: true },
  ];
  for (const fx of fixtures) {
    const dir = join(fx.root ?? sharedModels, fx.id);
    if (!existsSync(join(dir, 'expected.json'))) {
      // On CI the shared models are present; a missing one there is a failure.
      assert.ok(!inCi, `${fx.id}: not present in ${fx.root ?? sharedModels} (required on CI)`);
      step(`${fx.id}: not present in ${fx.root ?? sharedModels}, skipped`);
      continue;
    }
    const expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8'));
    const file = join(dir, expected.model_file);
    if (fx.via === 'drop') {
      // A tfjs model.json is dropped together with its weight shards.
      const names = fx.shards
        ? (await readdir(dir)).filter((n) => n === expected.model_file || n.includes('shard'))
        : [expected.model_file];
      const files = await Promise.all(
        names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })),
      );
      await dropFiles(files);
    } else {
      await page.setInputFiles('#model-file', file);
    }
    await page.waitForSelector('#model-section[data-state="loaded"]', { timeout: 60_000 });
    await page.fill('#model-input', JSON.stringify(expected.input));
    await page.click('#model-run');
    await page.waitForSelector('#model-section[data-state="ran"]', { timeout: 60_000 });
    const got = await page.$$eval('#model-output .num', (els) =>
      els.map((e) => Number(e.textContent)),
    );
    const want = flat(expected.outputs[expected.output_layer]);
    assert.equal(
      got.length,
      want.length,
      `${fx.id}: expected ${want.length} output values, got ${got.length}`,
    );
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    }
    assert.ok(
      worst <= MODEL_TOLERANCE,
      `${fx.id}: expected outputs within ${MODEL_TOLERANCE}·max(1, |y|), got ${worst}`,
    );
    step(`${fx.id} (${fx.via}): max error ${worst.toExponential(2)}`);
  }

  // The built-in example last, so the screenshot shows it rather than a third-party model.
  await page.click('#model-example');
  await page.waitForSelector('#model-section[data-state="loaded"]', { timeout: 60_000 });
  await page.click('#model-run');
  await page.waitForSelector('#model-section[data-state="ran"]', { timeout: 60_000 });
  const example = await page.$$eval('#model-output .num', (els) =>
    els.map((e) => Number(e.textContent)),
  );
  // The random input has batch 2; the seed input is typed explicitly.
  await page.fill(
    '#model-input',
    JSON.stringify([
      [
        [0.1, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
      ],
    ]),
  );
  await page.click('#model-run');
  await page.waitForFunction(() => document.querySelectorAll('#model-output .num').length === 6);
  const exampleSeed = await page.$$eval('#model-output .num', (els) =>
    els.map((e) => Number(e.textContent)),
  );
  assert.equal(example.length, 12, 'example with random input: expected a (2, 6) output');
  for (let i = 0; i < 3; i++) assertUlp(exampleSeed[i], KERAS_FORWARD, `example output[0, ${i}]`);
  for (let i = 3; i < 6; i++) assertUlp(exampleSeed[i], KERAS_BACKWARD, `example output[0, ${i}]`);
  step('tfjs-layers example model matches the seed printout');

  // Generate text: the shared char-RNN loaded in a module worker, which streams characters back.
  const charRnnDir = join(wildModels, 'tfjs_charrnn_lstm_k215');
  if (existsSync(join(charRnnDir, 'model.json'))) {
    await page.setInputFiles(
      '#generate-file',
      ['model.json', 'group1-shard1of1', 'group2-shard1of1'].map((f) => join(charRnnDir, f)),
    );
    await page.waitForSelector('#generate[data-state="loaded"], #generate[data-state="error"]', {
      timeout: 60_000,
    });
    assert.equal(
      await page.getAttribute('#generate', 'data-state'),
      'loaded',
      `generate: loading the char-RNN: ${await page.textContent('#generate-status')}`,
    );
    const vocabulary = JSON.parse(await page.inputValue('#generate-vocab'));
    /** Generates `length` characters with `seed`; returns the text and tokens/s. @param {number} seed @param {number} length */
    const generateText = async (seed, length) => {
      await page.fill('#generate-length', String(length));
      await page.fill('#generate-temperature', '0.8');
      await page.fill('#generate-seed', String(seed));
      await page.click('#generate-run');
      await page.waitForSelector('#generate[data-state="done"], #generate[data-state="error"]', {
        timeout: 60_000,
      });
      assert.equal(
        await page.getAttribute('#generate', 'data-state'),
        'done',
        `generate: ${await page.textContent('#generate-status')}`,
      );
      const text = (await page.textContent('#generate-text')) ?? '';
      const rate = Number(await page.getAttribute('#generate-rate', 'data-tokens-per-second'));
      return { text, rate };
    };
    const first = await generateText(5, 150);
    assert.equal([...first.text].length, 150, 'generate: expected 150 characters');
    const outside = [...first.text].filter((c) => !vocabulary.includes(c));
    assert.deepEqual(outside, [], 'generate: characters outside the vocabulary');
    assert.ok(first.rate > 0, `generate: expected a positive tokens/s, got ${first.rate}`);
    const again = await generateText(5, 150);
    assert.equal(again.text, first.text, 'generate: the same seed gives the same text');
    const other = await generateText(6, 150);
    assert.notEqual(other.text, first.text, 'generate: another seed gives another text');
    assert.ok(
      generateWorkers.length >= 1,
      `generate: expected the run in a Web Worker, saw workers [${generateWorkers.join(', ')}]`,
    );
    summary.generate = `${first.rate.toFixed(0)} tokens/s in a worker`;
    step(
      `generate: 150 characters at ${first.rate.toFixed(0)} tokens/s in a Web Worker, same seed same text`,
    );
  } else {
    assert.ok(!inCi, `${charRnnDir}: not present (required on CI)`);
    step(`${charRnnDir}: not present, generation skipped`);
  }

  // Training: the sine forecaster on cpu, its loss falling and drawn per epoch.
  await page.check('#backend-cpu');
  await waitSeed('cpu', true);
  await page.click('#train-run');
  await page.waitForSelector('#train[data-state="done"], #train[data-state="error"]', {
    timeout: 60_000,
  });
  assert.equal(
    await page.getAttribute('#train', 'data-state'),
    'done',
    `training: ${await page.textContent('#train-progress')}`,
  );
  assert.equal(await page.getAttribute('#train', 'data-backend'), 'cpu', 'training backend');
  const losses = JSON.parse((await page.getAttribute('#train', 'data-losses')) ?? '[]');
  assert.equal(losses.length, 20, 'training: expected one loss per epoch (20)');
  assert.ok(
    losses.at(-1) < losses[0] / 2,
    `training: expected the last loss below half the first, got ${losses[0]} → ${losses.at(-1)}`,
  );
  const stepsPerSecond = Number(
    await page.getAttribute('#train-progress', 'data-steps-per-second'),
  );
  assert.ok(stepsPerSecond > 0, `training: expected positive steps/s, got ${stepsPerSecond}`);
  const lossLines = await page.$$eval('#train-chart svg polyline.series', (els) => els.length);
  assert.equal(lossLines, 1, 'training chart: expected one loss line');
  summary.training = `loss ${losses[0].toPrecision(3)} → ${losses.at(-1).toPrecision(3)}, ${stepsPerSecond.toFixed(1)} steps/s on cpu`;
  step(`training on cpu: ${summary.training}`);

  // The benchmark on every started backend.
  await page.click('#bench-run');
  await page.waitForSelector('#bench[data-state="done"], #bench[data-state="error"]', {
    timeout: 120_000,
  });
  const benchState = await page.$eval(
    '#bench',
    (e) => /** @type {HTMLElement} */ (e).dataset.state,
  );
  assert.equal(benchState, 'done', `benchmark: ${await page.textContent('#bench-progress')}`);
  const rows = await page.$$eval('#bench-body tr', (trs) =>
    trs.map((tr) => ({
      backend: tr.getAttribute('data-backend'),
      workload: tr.getAttribute('data-workload'),
      runner: tr.getAttribute('data-runner'),
      cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? ''),
      diff: tr.querySelector('[data-max-abs-diff]')?.getAttribute('data-max-abs-diff') ?? '',
    })),
  );
  assert.equal(
    rows.length,
    ready.length * 2 * 2,
    'benchmark rows: backends × 2 shapes × 2 runners',
  );
  for (const r of rows) {
    const ms = Number(r.cells[3]);
    assert.ok(
      ms > 0,
      `benchmark ${r.backend} ${r.workload} ${r.runner}: expected a positive time, got ${r.cells[3]}`,
    );
    if (r.runner === 'rnnkit') {
      assert.ok(
        Number(r.diff) <= MODEL_TOLERANCE,
        `benchmark ${r.backend} ${r.workload}: rnnkit vs tfjs-layers max |Δ| ${r.diff} > ${MODEL_TOLERANCE}`,
      );
    }
    console.log(`  ${r.cells.join(' | ')}`);
  }
  const bars = await page.$$eval('#bench-charts svg rect.bar', (els) => els.length);
  assert.equal(
    bars,
    2 * rows.length,
    'benchmark charts: one bar per row in each of the two charts',
  );
  step('benchmark charts rendered');

  // conformance.html: every case file on every started backend, judged by the kit's verdict.
  const caseFiles = (await readdir(casesDir)).filter((f) => f.endsWith('.json'));
  assert.ok(caseFiles.length > 0, `expected case files in ${casesDir}, found none`);
  const conf = await browser.newPage({ viewport: { width: 1180, height: 900 } });
  conf.on('pageerror', (e) => pageErrors.push(`conformance.html: ${e.message}`));
  await conf.goto(`${url}conformance.html`);
  try {
    await conf.waitForSelector('body[data-state="done"], body[data-state="error"]', {
      timeout: 150_000,
    });
  } catch (e) {
    const at = await conf.textContent('#conformance-progress');
    throw new Error(`conformance.html: not done within 150 s, last at ${at}`, { cause: e });
  }
  assert.equal(
    await conf.getAttribute('body', 'data-state'),
    'done',
    `conformance.html: ${await conf.textContent('#conformance-progress')}`,
  );
  const confRuns = await conf.$$eval('#conformance-summary tr[data-backend]', (trs) =>
    trs.map((tr) => {
      const d = /** @type {HTMLElement} */ (tr).dataset;
      return {
        backend: d.backend ?? '',
        status: d.status ?? '',
        passed: Number(d.passed),
        total: Number(d.total),
        ms: Number(d.ms),
        message: tr.querySelector('.status')?.textContent ?? '',
        cellsPassed: document.querySelectorAll(
          `#conformance-cases td[data-backend="${d.backend}"][data-verdict="pass"]`,
        ).length,
      };
    }),
  );
  const confFailures = await conf.$$eval('#conformance-failures li[data-backend]', (lis) =>
    lis.map((li) => `${li.getAttribute('data-backend')} ${li.textContent}`),
  );
  assert.deepEqual(
    confRuns.map((r) => r.backend),
    ['cpu', 'wasm', 'webgpu'],
    'conformance.html: one summary row per backend',
  );
  for (const r of confRuns) {
    if (r.backend === 'webgpu' && states.webgpu?.status === 'unavailable') {
      assert.equal(
        r.status,
        'unavailable',
        `conformance on webgpu without an adapter: ${r.message}`,
      );
      step(`conformance on webgpu skipped: ${r.message}`);
      continue;
    }
    assert.equal(r.status, 'done', `conformance on ${r.backend}: ${r.message}`);
    assert.equal(
      r.total,
      caseFiles.length,
      `conformance on ${r.backend}: expected every case file (${caseFiles.length}), got ${r.total}`,
    );
    assert.equal(
      r.cellsPassed,
      r.passed,
      `conformance on ${r.backend}: passing cells vs the summary's count`,
    );
    assert.equal(
      r.passed,
      caseFiles.length,
      `conformance on ${r.backend}: expected ${caseFiles.length}/${caseFiles.length}, got ${r.passed}; failures:\n  ${confFailures.filter((f) => f.startsWith(`${r.backend} `)).join('\n  ')}`,
    );
    summary[r.backend] += ` · conformance ${r.passed}/${r.total} in ${r.ms} ms`;
    step(`conformance on ${r.backend}: ${r.passed}/${r.total} in ${r.ms} ms (${r.message})`);
  }
  assert.deepEqual(confFailures, [], 'conformance.html: failures listed');
  const casesLoaded = mainPageRequests.filter((u) => /\/assets\/cases-[^/]*\.js$/.test(u));
  assert.deepEqual(casesLoaded, [], 'the main page does not load the conformance cases');
  await mkdir(dirname(conformanceShotPath), { recursive: true });
  await conf.screenshot({ path: conformanceShotPath });
  await conf.close();

  // Threads in the browser: on a cross-origin-isolated page the wasm kernels start Web Workers
  // over a shared memory and split every call with more than one slice of units across 2
  // threads, and the cpu kernels start Web Workers that take a share of every product of two or
  // more panels; every case must still pass, and some work must really have been split.
  const threaded = await browser.newPage();
  threaded.on('pageerror', (e) => pageErrors.push(`conformance.html?threads=2: ${e.message}`));
  await threaded.goto(`${url}conformance.html?backends=cpu,wasm&threads=2`);
  await threaded.waitForSelector('body[data-state="done"], body[data-state="error"]', {
    timeout: 150_000,
  });
  assert.equal(
    await threaded.evaluate(() => globalThis.crossOriginIsolated),
    true,
    'conformance.html?threads=2: expected a cross-origin-isolated page',
  );
  for (const backend of ['cpu', 'wasm']) {
    const run = await threaded.$eval(`#conformance-summary tr[data-backend="${backend}"]`, (tr) => {
      const d = /** @type {HTMLElement} */ (tr).dataset;
      return {
        status: d.status ?? '',
        passed: Number(d.passed),
        total: Number(d.total),
        split: Number(d.split),
        message: tr.querySelector('.status')?.textContent ?? '',
      };
    });
    assert.equal(run.status, 'done', `${backend} with 2 threads: ${run.message}`);
    assert.equal(
      run.passed,
      caseFiles.length,
      `${backend} with 2 threads: expected ${caseFiles.length}/${caseFiles.length}, got ${run.passed} (${run.message})`,
    );
    assert.ok(run.split > 0, `${backend} with 2 threads: expected split work, got ${run.split}`);
    step(`conformance on ${backend} with 2 threads: ${run.passed}/${run.total} (${run.message})`);
  }
  await threaded.close();

  // A browser without WebAssembly SIMD or WebGPU: the two backends say why, cpu still works.
  const bare = await browser.newPage();
  bare.on('pageerror', (e) => pageErrors.push(e.message));
  await bare.addInitScript(() => {
    WebAssembly.validate = () => false;
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await bare.goto(url);
  await bare.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const bareStates = await bare.$$eval('#backend-list [data-backend]', (els) =>
    els.map(
      (el) =>
        `${el.getAttribute('data-status')}: ${el.querySelector('.backend-status')?.textContent}`,
    ),
  );
  assert.match(bareStates[0], /^ready: /, `cpu without SIMD/WebGPU: ${bareStates[0]}`);
  assert.match(
    bareStates[1],
    /^failed: @rnnkit\/backend-wasm init\(\) failed: .*SIMD/,
    `wasm without SIMD: ${bareStates[1]}`,
  );
  assert.match(
    bareStates[2],
    /^unavailable: .*navigator\.gpu/,
    `webgpu without navigator.gpu: ${bareStates[2]}`,
  );
  await bare.waitForSelector('#seed[data-state="done"][data-backend="cpu"]');
  // conformance.html there: a backend that does not start runs no case and counts none.
  await bare.goto(`${url}conformance.html?backends=wasm,webgpu`);
  await bare.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
  const bareConf = await bare.$$eval('#conformance-summary tr[data-backend]', (trs) =>
    trs.map((tr) => `${tr.getAttribute('data-status')} ${tr.getAttribute('data-passed')}`),
  );
  assert.deepEqual(
    bareConf,
    ['failed 0', 'unavailable 0'],
    'conformance.html without SIMD/WebGPU: wasm failed, webgpu unavailable, no case counted',
  );
  await bare.close();
  step(`failure messages shown: ${bareStates.slice(1).join(' | ')}`);

  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  await mkdir(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1')
    await copyFile(screenshotPath, docsScreenshotPath);
  step(`screenshot: ${screenshotPath}`);
  for (const [name, line] of Object.entries(summary)) console.log(`  ${name}: ${line}`);
} finally {
  await browser.close();
  await new Promise((r) => server.httpServer.close(() => r(undefined)));
}
step('e2e passed');
