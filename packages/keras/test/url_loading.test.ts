/**
 * `loadKerasModel(url)` against a local HTTP server: a `.keras`, an `.h5` and a tfjs
 * `model.json` with its shards, served from ../shared in place, must give the outputs in their
 * expected.json (numpy float64 of the Keras equations) within 1e-4·max(1, |y|); servers that
 * send too much, stall or never answer must end in a KerasModelError naming the limit.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelError } from '@rnnkit/conformance/naive';
import { KerasModelError, loadKerasModel, type LoadOptions } from '../src/index.js';
import { describeIfPresent } from './availability.js';
import { flat, SHARED_MODELS, WILD_MODELS, workspaceBackends } from './helpers.js';

const TOLERANCE = 1e-4;
const ROOTS: Record<string, string> = { 'keras-models': SHARED_MODELS, 'wild-models': WILD_MODELS };
const MODELS = [
  ['.keras', 'keras-models', 'keras3150_stacked_gru_dotkeras'],
  ['.h5', 'keras-models', 'keras380_simplernn_relu_h5'],
  ['tfjs model.json with two shards', 'wild-models', 'tfjs_charrnn_lstm_k215'],
] as const;

/** What the server saw: request paths, and the connections of endless responses closing. */
const requests: string[] = [];
const open = new Set<ServerResponse>();
let endlessClosed = 0;
let server: Server;
let base: string;

/** Sends 64 KiB chunks until the client goes away. */
function sendForever(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const more = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', more);
  };
  res.on('close', () => endlessClosed++);
  more();
}

beforeAll(async () => {
  await workspaceBackends()[0].init();
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    open.add(res);
    res.on('close', () => open.delete(res));
    const [, root, ...rest] = path.split('/');
    if (path === '/endless.h5') {
      // No Content-Length: only counting the bytes can stop it.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      sendForever(res);
    } else if (path === '/truncated.h5') {
      // Declares more than it sends, then hangs up.
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), () => res.destroy());
    } else if (path === '/declares-10GiB.h5') {
      res.writeHead(200, { 'content-length': String(10 * 2 ** 30) });
      res.write(Buffer.alloc(1024));
    } else if (path === '/silent.keras') {
      // Never answers.
    } else if (path === '/stalls.keras') {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.from('PK\x03\x04'));
    } else if (path === '/moved/model.json') {
      // A model.json without its shards beside it.
      createReadStream(join(WILD_MODELS, 'tfjs_charrnn_lstm_k215', 'model.json')).pipe(res);
    } else if (root in ROOTS && !normalize(rest.join('/')).startsWith('..')) {
      const file = join(ROOTS[root], ...rest);
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Expected {
  model_file: string;
  input: unknown;
  input_shape: number[];
  input_dtype?: string;
  outputs: Record<string, unknown>;
}

const expectedOf = async (dir: string): Promise<Expected> =>
  JSON.parse(
    await (await import('node:fs/promises')).readFile(join(dir, 'expected.json'), 'utf8'),
  ) as Expected;

describeIfPresent(
  MODELS.every(([, root, id]) => existsSync(join(ROOTS[root], id, 'expected.json'))),
  `the shared models ${MODELS.map(([, , id]) => id).join(', ')} in ../shared`,
)('loading from a URL', () => {
  for (const [kind, root, id] of MODELS) {
    it(`a ${kind} (${id}) gives the outputs of its expected.json`, async () => {
      const e = await expectedOf(join(ROOTS[root], id));
      const url = `${base}/${root}/${id}/${e.model_file}`;
      requests.length = 0;
      const model = await loadKerasModel(url);
      const dtype = e.input_dtype === 'int32' ? 'int32' : 'float32';
      const x = tf.tensor(flat(e.input), e.input_shape, dtype);
      const names = Object.keys(e.outputs);
      const got = model.predict(x, { outputs: names });
      for (const name of names) {
        expect(maxRelError(await got[name].data(), flat(e.outputs[name])), name).toBeLessThan(
          TOLERANCE,
        );
      }
      tf.dispose([x, ...Object.values(got)]);
      model.dispose();
      if (e.model_file === 'model.json') {
        // The shards come from next to model.json, as its weightsManifest names them.
        expect(requests).toEqual([
          `/${root}/${id}/model.json`,
          `/${root}/${id}/group1-shard1of1`,
          `/${root}/${id}/group2-shard1of1`,
        ]);
      } else {
        expect(requests).toEqual([`/${root}/${id}/${e.model_file}`]);
      }
    }, 60_000);
  }

  it('a tfjs model.json whose shards are not next to it names the shard and the status', async () => {
    const error = await loadKerasModel(`${base}/moved/model.json`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerasModelError);
    expect((error as Error).message).toBe(
      `${base}/moved/model.json: weight shard 'group1-shard1of1': HTTP 404 Not Found`,
    );
  });
});

describe('servers that misbehave', () => {
  /** Loads `path` from the server; resolves to the error and the time it took. */
  async function failure(path: string, options: LoadOptions = {}) {
    const start = performance.now();
    const error = await loadKerasModel(`${base}${path}`, options).then(
      () => new Error('loaded'),
      (e: unknown) => e,
    );
    return { error: error as Error, ms: performance.now() - start };
  }

  it('a response that goes past maxFileBytes without declaring a length stops there', async () => {
    const before = endlessClosed;
    const { error, ms } = await failure('/endless.h5', { maxFileBytes: 2 ** 20 });
    expect(error).toBeInstanceOf(KerasModelError);
    expect(error.message).toBe(
      `${base}/endless.h5: the response is larger than the limit of 1048576 bytes`,
    );
    expect(ms).toBeLessThan(5_000);
    // The download is cancelled: the server sees its connection close.
    await expect.poll(() => endlessClosed, { timeout: 5_000 }).toBe(before + 1);
  });

  it('a response that declares more than maxFileBytes is refused before its body', async () => {
    const { error } = await failure('/declares-10GiB.h5', { maxFileBytes: 2 ** 20 });
    expect(error).toBeInstanceOf(KerasModelError);
    expect(error.message).toBe(
      `${base}/declares-10GiB.h5: the response declares 10737418240 bytes, more than the limit of 1048576`,
    );
  });

  it('a body cut short of its Content-Length fails, saying so', async () => {
    const { error } = await failure('/truncated.h5');
    expect(error).toBeInstanceOf(KerasModelError);
    expect(error.message).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/truncated\.h5: the download broke off after 8 bytes \(.+\)$/,
    );
  });

  it('a server that never answers fails after fetchTimeoutMs', async () => {
    const { error, ms } = await failure('/silent.keras', { fetchTimeoutMs: 300 });
    expect(error).toBeInstanceOf(KerasModelError);
    expect(error.message).toBe(
      `${base}/silent.keras: no complete response within 300 ms (the fetchTimeoutMs option raises it)`,
    );
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(5_000);
  });

  it('a server that stalls in the middle of the body fails after fetchTimeoutMs', async () => {
    const { error, ms } = await failure('/stalls.keras', { fetchTimeoutMs: 300 });
    expect(error).toBeInstanceOf(KerasModelError);
    expect(error.message).toBe(
      `${base}/stalls.keras: no complete response within 300 ms (the fetchTimeoutMs option raises it)`,
    );
    expect(ms).toBeLessThan(5_000);
  });

  it('a missing file names the HTTP status', async () => {
    const { error } = await failure('/keras-models/nothing-here.h5');
    expect(error).toBeInstanceOf(KerasModelError);
    expect(error.message).toBe(`${base}/keras-models/nothing-here.h5: HTTP 404 Not Found`);
  });

  it('rejects a fetchTimeoutMs that is not a positive number', async () => {
    const { error } = await failure('/silent.keras', { fetchTimeoutMs: 0 });
    expect(error.message).toBe('options.fetchTimeoutMs: expected a positive number, got 0');
  });
});
