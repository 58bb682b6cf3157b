/**
 * A Node script that loads a model and returns must exit by itself: the HDF5 reader's worker
 * thread may not hold the process open. Runs the built package in a child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { sharedFixtures, SHARED_MODELS } from './helpers.js';

const PACKAGE = resolve(import.meta.dirname, '..');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Writes a script inside the package (so that its imports resolve) and runs it with a time limit. */
function runScript(body: string): { status: number | null; signal: string | null; out: string } {
  const dir = mkdtempSync(join(PACKAGE, 'node_modules', '.exit-test-'));
  dirs.push(dir);
  const file = join(dir, 'script.mjs');
  writeFileSync(file, body);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

describe('a script that loads a model exits by itself', () => {
  const dist = pathToFileURL(join(PACKAGE, 'dist', 'index.js')).href;
  const models = sharedFixtures().filter((f) => /\.(h5|keras)$/.test(f.modelPath));

  it('finds .h5 and .keras files to load', () => {
    expect(models.map((m) => m.modelPath.split('.').pop())).toEqual(
      expect.arrayContaining(['h5', 'keras']),
    );
  });

  for (const fx of models) {
    it(`after loading ${fx.id} and predicting`, () => {
      const r = runScript(`
        import '@rnnkit/backend-cpu';
        import * as tf from '@tensorflow/tfjs-core';
        import { loadKerasModel } from ${JSON.stringify(dist)};
        const model = await loadKerasModel(${JSON.stringify(fx.modelPath)});
        const x = tf.ones(${JSON.stringify([1, ...fx.expected.input_shape.slice(1)])}, ${JSON.stringify(fx.expected.input_dtype === 'int32' ? 'int32' : 'float32')});
        const y = model.predict(x);
        console.log('loaded', model.name, (Array.isArray(y) ? y[0] : y).shape.join('x'));
      `);
      // A script held open is killed by the time limit (signal SIGTERM, status null).
      expect(r.signal, r.out).toBeNull();
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/loaded \S+ 1x/);
    }, 40_000);
  }

  it('without a backend, loading says which package to import', () => {
    const fx = models[0];
    const r = runScript(`
      import { loadKerasModel } from ${JSON.stringify(dist)};
      try {
        await loadKerasModel(${JSON.stringify(fx.modelPath)});
        console.log('loaded without a backend');
      } catch (e) {
        console.log(e.name + ': ' + e.message);
      }
    `);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(
      "KerasModelError: loadKerasModel: no tfjs backend is registered: import an rnnkit backend package before loading, e.g. import '@rnnkit/backend-cpu'",
    );
  });

  it('runs on the backend the script made active and names it', () => {
    const fx = models[0];
    const r = runScript(`
      import { init } from '@rnnkit/backend-wasm';
      import { loadKerasModel } from ${JSON.stringify(dist)};
      await init();
      const model = await loadKerasModel(${JSON.stringify(fx.modelPath)});
      console.log('backend', model.backend);
      console.log(model.summary(null).split('\\n').at(-1));
    `);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('backend wasm\nBackend: wasm');
  });

  it('uses the shared models directory', () => {
    expect(SHARED_MODELS).toMatch(/shared[/\\]keras-models$/);
  });
});
