/**
 * The "Generate text" section: a character-level model (by default the shared char-RNN,
 * `tfjs_charrnn_lstm_k215`: model.json and its two shards) loaded and run in a module Web Worker
 * (generate_worker.ts), which streams the text back one character at a time.
 */
import { byId, messageOf } from './dom.js';
import type { FileBytes, FromWorker, GenerateRequest, ToWorker } from './generate_protocol.js';

/**
 * The char-RNN's vocabulary, by index: the character set of its training text, as its source
 * repository (reiinakano/tfjs-lstm-text-generation, `indices_char.js`) lists it.
 */
export const CHAR_RNN_VOCABULARY = [
  '\n',
  ' ',
  '!',
  '"',
  "'",
  '(',
  ')',
  ',',
  '-',
  '.',
  ...'0123456789:;=?[]_abcdefghijklmnopqrstuvwxyz',
  'ä',
  'æ',
  'é',
  'ë',
];

let worker: Worker | null = null;
/** Handles the worker's next messages (one load or run at a time; the controls wait for it). */
let listener: ((message: FromWorker) => void) | null = null;

function startWorker(): Worker {
  if (worker != null) return worker;
  worker = new Worker(new URL('./generate_worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => listener?.(event.data);
  worker.onerror = (event) =>
    listener?.({ type: 'error', message: `generation worker: ${event.message}` });
  return worker;
}

function post(message: ToWorker, transfer: Transferable[] = []): void {
  startWorker().postMessage(message, transfer);
}

function setState(state: string, status: string, kind: 'info' | 'error' | 'ok'): void {
  byId('generate').dataset.state = state;
  const el = byId('generate-status');
  el.textContent = status;
  el.dataset.kind = kind;
}

async function loadFiles(list: readonly File[]): Promise<void> {
  if (list.length === 0) return;
  setState('loading', 'loading…', 'info');
  byId<HTMLButtonElement>('generate-run').disabled = true;
  const files: FileBytes[] = await Promise.all(
    list.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
  listener = (m) => {
    if (m.type === 'loaded') {
      setState('loaded', `loaded ${m.label} in the worker · ${m.summary}`, 'ok');
      byId<HTMLButtonElement>('generate-run').disabled = false;
    } else if (m.type === 'error') setState('error', m.message, 'error');
  };
  post(
    { type: 'load', files },
    files.map((f) => f.bytes.buffer),
  );
}

/** Reads the inputs; throws naming the field that is wrong. */
function request(): GenerateRequest {
  const number = (id: string, what: string, ok: (n: number) => boolean): number => {
    const raw = byId<HTMLInputElement>(id).value.trim();
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || !ok(n)) {
      throw new Error(`${id.replace('generate-', '')}: expected ${what}, got '${raw}'`);
    }
    return n;
  };
  let vocabulary: unknown;
  try {
    vocabulary = JSON.parse(byId<HTMLTextAreaElement>('generate-vocab').value);
  } catch (e) {
    throw new Error(`vocabulary: expected a JSON list of characters (${messageOf(e)})`);
  }
  if (
    !Array.isArray(vocabulary) ||
    !vocabulary.every((c) => typeof c === 'string' && [...c].length === 1)
  ) {
    throw new Error('vocabulary: expected a JSON list of single characters');
  }
  return {
    vocabulary: vocabulary as string[],
    seedText: byId<HTMLInputElement>('generate-seed-text').value,
    length: number(
      'generate-length',
      'an integer from 1 to 5000',
      (n) => Number.isInteger(n) && n >= 1 && n <= 5000,
    ),
    temperature: number('generate-temperature', 'a number ≥ 0', (n) => n >= 0),
    seed: number('generate-seed', 'an integer', Number.isInteger),
  };
}

function run(): void {
  let req: GenerateRequest;
  try {
    req = request();
  } catch (e) {
    setState('error', messageOf(e), 'error');
    return;
  }
  const button = byId<HTMLButtonElement>('generate-run');
  const out = byId('generate-text');
  const rate = byId('generate-rate');
  byId('generate-seed-shown').textContent = req.seedText;
  out.textContent = '';
  rate.textContent = '';
  delete rate.dataset.tokensPerSecond;
  button.disabled = true;
  setState('running', 'generating in the worker…', 'info');
  const t0 = performance.now();
  let count = 0;
  listener = (m) => {
    if (m.type === 'token') {
      out.textContent += m.char;
      count++;
      if (count % 20 === 0) {
        rate.textContent = `${count} characters · ${((count * 1000) / (performance.now() - t0)).toFixed(0)} per second so far`;
      }
    } else if (m.type === 'done') {
      out.textContent = m.text;
      const perSecond = m.msPerStep > 0 ? 1000 / m.msPerStep : 0;
      rate.dataset.tokensPerSecond = String(perSecond);
      rate.textContent = `${[...m.text].length} characters · ${perSecond.toFixed(0)} tokens/s (${m.backend} backend, in the worker)`;
      setState('done', `generated ${[...m.text].length} characters`, 'ok');
      button.disabled = false;
    } else if (m.type === 'error') {
      setState('error', m.message, 'error');
      button.disabled = false;
    }
  };
  post({ type: 'generate', ...req });
}

/** Wires the section: file input and drop zone, vocabulary default, run button. */
export function setupGenerate(): void {
  byId<HTMLTextAreaElement>('generate-vocab').value = JSON.stringify(CHAR_RNN_VOCABULARY);
  const input = byId<HTMLInputElement>('generate-file');
  input.addEventListener('change', () => {
    void loadFiles(Array.from(input.files ?? []));
    input.value = '';
  });
  const drop = byId('generate-drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void loadFiles(Array.from(e.dataTransfer?.files ?? []));
  });
  byId('generate-run').addEventListener('click', run);
}
