/**
 * A module worker that loads a character-level Keras model and generates text one character at
 * a time (a model stream of @rnnkit/keras on rnnkit's cpu backend), posting each character as it
 * is sampled. It touches no DOM; the page stays responsive however long a run takes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { init } from '@rnnkit/backend-cpu';
import { generate, loadKerasModel, type KerasModel } from '@rnnkit/keras';
import type { FileBytes, FromWorker, ToWorker } from './generate_protocol.js';

/** The worker's global scope, typed for what this module uses (the page's lib is DOM's). */
const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let ready: Promise<void> | null = null;
let model: KerasModel | null = null;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A tfjs `model.json` with its weight shards, or one `.keras`/`.h5` file. */
async function load(files: FileBytes[]): Promise<KerasModel> {
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  const main = json ?? files[0];
  if (main == null || (json == null && files.length > 1)) {
    throw new Error(
      `model files: expected one .keras/.h5 file, or a model.json with its weight shards; got ${files.length} files without a .json`,
    );
  }
  const weightShards = Object.fromEntries(
    files.filter((f) => f !== main).map((f) => [f.name, f.bytes]),
  );
  return loadKerasModel(main.bytes, { name: main.name, ...(json ? { weightShards } : {}) });
}

async function handle(message: ToWorker): Promise<void> {
  ready ??= init();
  await ready;
  if (message.type === 'load') {
    const loaded = await load(message.files);
    model?.dispose();
    model = loaded;
    const label = message.files.map((f) => f.name).join(' + ');
    const summary = `${loaded.name}: ${loaded.layers.map((l) => l.className).join(' → ')}, input ${JSON.stringify(loaded.inputShapes[0])}`;
    scope.postMessage({ type: 'loaded', label, summary });
    return;
  }
  if (model == null) throw new Error('generate: load a model first');
  const { text, msPerStep } = generate(model, {
    ...message,
    onToken: (char) => scope.postMessage({ type: 'token', char }),
  });
  scope.postMessage({ type: 'done', text, msPerStep, backend: tf.getBackend() });
}

// One message at a time, in order: a run never overlaps a load.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  queue = queue.then(() =>
    handle(event.data).catch((e: unknown) =>
      scope.postMessage({ type: 'error', message: messageOf(e) }),
    ),
  );
};
