/**
 * Hostile inputs: zip bombs, lying sizes, huge declared dimensions, files that crash or hang the
 * HDF5 library, truncation, path tricks, wrong weight shapes, unsupported layers and options.
 * Each must give a clear KerasModelError in bounded time and memory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  closeHdf5Reader,
  KerasModelError,
  loadKerasModel,
  type LoadOptions,
} from '../src/index.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { FIXTURES, SHARED_MODELS, flat, values, workspaceBackends } from './helpers.js';
import { flipBytes, rng, unzip, zip } from './mutate.js';
import { crashingHdf5 } from './byte_mutations.js';
import { layer, sequential, synthetic } from './synthetic.js';

const H5_FILE = join(SHARED_MODELS, 'keras380_simplernn_relu_h5', 'simple_rnn_model.h5');
const KERAS_FILE = join(SHARED_MODELS, 'keras3150_stacked_gru_dotkeras', 'gru_model.keras');
const h5Bytes = () => new Uint8Array(readFileSync(H5_FILE));
const kerasBytes = () => new Uint8Array(readFileSync(KERAS_FILE));

async function rejects(load: Promise<unknown>, pattern: RegExp, maxMs = 3_000): Promise<void> {
  const t0 = performance.now();
  const error = await load.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KerasModelError);
  expect((error as Error).message).toMatch(pattern);
  expect(performance.now() - t0).toBeLessThan(maxMs);
}

/** Overwrites the 4-byte little-endian field at `offset`. */
function setU32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value, true);
}

/** Offsets of a zip entry's local header and central directory record (test-only patching). */
function zipRecords(bytes: Uint8Array, name: string): { local: number; central: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const enc = new TextEncoder().encode(name);
  const matchAt = (at: number) => enc.every((b, i) => bytes[at + i] === b);
  let local = -1;
  let central = -1;
  for (let i = 0; i + 46 < bytes.length; i++) {
    const sig = dv.getUint32(i, true);
    if (
      sig === 0x04034b50 &&
      local < 0 &&
      dv.getUint16(i + 26, true) === enc.length &&
      matchAt(i + 30)
    )
      local = i;
    if (sig === 0x02014b50 && dv.getUint16(i + 28, true) === enc.length && matchAt(i + 46))
      central = i;
  }
  return { local, central };
}

/** Declares `size` as the uncompressed size of `name` in both zip headers. */
function lieAboutSize(bytes: Uint8Array, name: string, size: number): Uint8Array {
  const out = bytes.slice();
  const { local, central } = zipRecords(out, name);
  setU32(out, local + 22, size);
  setU32(out, central + 24, size);
  return out;
}

beforeAll(() => workspaceBackends()[0].init());

describe('.keras archives', () => {
  it('refuses an entry that declares more than its limit, before inflating it', async () => {
    const entries = unzip(kerasBytes());
    // 64 MiB of JSON whitespace deflates to about 64 KiB.
    const big = new Uint8Array(64 << 20).fill(0x20);
    big[0] = 0x7b;
    big[big.length - 1] = 0x7d;
    const bomb = zip({ ...entries, 'config.json': big }, 9);
    expect(bomb.length).toBeLessThan(1 << 20);
    await rejects(
      loadKerasModel(bomb),
      /'config\.json' declares 67108864 bytes uncompressed, more than the limit of 16777216/,
    );
  });

  it('stops inflating an entry that produces more than it declares', async () => {
    const entries = unzip(kerasBytes());
    const bomb = zip({ ...entries, 'config.json': new Uint8Array(8 << 20).fill(0x20) }, 9);
    await rejects(
      loadKerasModel(lieAboutSize(bomb, 'config.json', 1000)),
      /'config\.json' inflates to more than the 1000 bytes it declares/,
    );
  });

  it('refuses a declared size no DEFLATE stream can reach', async () => {
    const entries = unzip(kerasBytes());
    const small = zip({ ...entries, 'config.json': new Uint8Array(4096).fill(0x20) }, 9);
    await rejects(
      loadKerasModel(lieAboutSize(small, 'config.json', 10_000_000)),
      /which is impossible/,
    );
  });

  it('caps config.json with maxConfigBytes', async () => {
    await rejects(
      loadKerasModel(kerasBytes(), { maxConfigBytes: 1000 }),
      /'config\.json' declares 5474 bytes uncompressed, more than the limit of 1000/,
    );
  });

  it('reports missing members and truncation', async () => {
    const entries = unzip(kerasBytes());
    const { 'model.weights.h5': _w, ...rest } = entries;
    await rejects(loadKerasModel(zip(rest)), /the archive has no 'model\.weights\.h5'/);
    const bytes = kerasBytes();
    await rejects(loadKerasModel(bytes.slice(0, bytes.length - 100)), /zip|truncated|corrupt/);
  });

  it('finds weights by class counters when vars groups carry no name attribute (older Keras 3)', async () => {
    const entries = unzip(kerasBytes());
    const module = await h5wasm.ready;
    module.FS.writeFile('/noname.h5', entries['model.weights.h5']);
    const f = new h5wasm.File('/noname.h5', 'a');
    for (const g of [
      'layers/dense/vars',
      'layers/dropout/vars',
      'layers/dropout_1/vars',
      'layers/gru/vars',
      'layers/gru_1/vars',
    ]) {
      (f.get(g) as InstanceType<typeof h5wasm.Group>).delete_attribute('name');
    }
    f.close();
    const weights = module.FS.readFile('/noname.h5') as Uint8Array;
    module.FS.unlink('/noname.h5');
    const model = await loadKerasModel(zip({ ...entries, 'model.weights.h5': weights }));
    const expected = JSON.parse(
      readFileSync(join(SHARED_MODELS, 'keras3150_stacked_gru_dotkeras', 'expected.json'), 'utf8'),
    ) as {
      input: unknown;
      input_shape: number[];
      outputs: Record<string, unknown>;
    };
    const y = model.predict(tf.tensor(flat(expected.input), expected.input_shape)) as tf.Tensor;
    expect(maxRelError(values(y), flat(expected.outputs.dense_1))).toBeLessThanOrEqual(1e-4);
    y.dispose();
    model.dispose();
  });
});

describe('HDF5 files', () => {
  it('refuses a dataset whose declared size is beyond the weight limit, without reading it', async () => {
    const module = await h5wasm.ready;
    module.FS.writeFile('/huge.h5', h5Bytes());
    const f = new h5wasm.File('/huge.h5', 'a');
    const group = f.get('model_weights/dense_5') as InstanceType<typeof h5wasm.Group>;
    const ds = group.create_dataset({
      name: 'huge',
      data: new Float32Array(1),
      shape: [1, 1],
      maxshape: [null, null],
      chunks: [1, 1],
    });
    ds.resize([100_000, 100_000]);
    f.close();
    const bytes = module.FS.readFile('/huge.h5') as Uint8Array;
    module.FS.unlink('/huge.h5');
    expect(bytes.length).toBeLessThan(1 << 20);
    await rejects(
      loadKerasModel(bytes),
      /dataset '\/model_weights\/dense_5\/huge' declares shape \[100000, 100000\] \(40000000000 bytes, limit 2147483648\)/,
    );
  });

  it('applies maxWeightBytes to the total', async () => {
    await rejects(loadKerasModel(h5Bytes(), { maxWeightBytes: 1000 }), /limit 1000/);
  });

  it('survives a file that crashes the HDF5 library, then reads valid files again', async () => {
    // A deterministic mutation that traps inside a fresh copy of the library (memory access out
    // of bounds); the reader is restarted first so earlier files cannot change the outcome.
    await closeHdf5Reader();
    const crashing = crashingHdf5(h5Bytes());
    await rejects(
      loadKerasModel(crashing, { name: 'crashing.h5' }),
      /^crashing\.h5: malformed HDF5 data \(memory access out of bounds\)/,
    );
    const model = await loadKerasModel(H5_FILE);
    expect(model.countParams()).toBe(2651);
    model.dispose();
  });

  it('cuts off a file that makes the HDF5 library loop, then reads valid files again', async () => {
    // A deterministic mutation on which a fresh copy of the library never returns.
    await closeHdf5Reader();
    const rand = rng(266);
    const looping = flipBytes(h5Bytes(), rand, 1 + Math.floor(rand() * 32));
    const options: LoadOptions = { hdf5TimeoutMs: 1_500 };
    await rejects(
      loadKerasModel(looping, options),
      /reading the HDF5 data took longer than 1500 ms/,
      5_000,
    );
    const model = await loadKerasModel(H5_FILE);
    expect(model.countParams()).toBe(2651);
    model.dispose();
  }, 20_000);

  it('reports truncation, weights-only files and unknown data', async () => {
    const bytes = h5Bytes();
    await rejects(
      loadKerasModel(bytes.slice(0, 20_000)),
      /malformed HDF5 data|not a readable HDF5 file/,
    );
    await rejects(loadKerasModel(new Uint8Array([1, 2, 3, 4])), /unrecognized file/);
    await rejects(
      loadKerasModel(join(FIXTURES, 'does-not-exist.h5')),
      /does-not-exist\.h5: cannot read the file/,
    );
    await rejects(loadKerasModel(H5_FILE, { maxFileBytes: 1000 }), /more than the limit of 1000/);
  });
});

describe('tfjs model.json', () => {
  const dir = join(FIXTURES, 'tfjs_lstm');
  const json = () =>
    JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
    };
  const shard = () => new Uint8Array(readFileSync(join(dir, 'group1-shard1of1.bin')));
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

  it('keeps shard paths next to model.json', async () => {
    const j = json();
    j.weightsManifest[0].paths = ['../../../etc/passwd'];
    await rejects(
      loadKerasModel(encode(j), { weightShards: {} }),
      /must be relative to model\.json, without '\.\.'/,
    );
    j.weightsManifest[0].paths = ['/etc/passwd'];
    await rejects(loadKerasModel(encode(j), { weightShards: {} }), /must be relative/);
  });

  it('checks shard sizes against the manifest', async () => {
    await rejects(
      loadKerasModel(encode(json()), {
        weightShards: { 'group1-shard1of1.bin': shard().slice(0, 100) },
      }),
      /hold 100 bytes; the manifest needs 552/,
    );
    const longer = new Uint8Array(600);
    await rejects(
      loadKerasModel(encode(json()), { weightShards: { 'group1-shard1of1.bin': longer } }),
      /is 600 bytes; at most 552 are needed/,
    );
  });

  it('names the weight, its shape and the expected one when shapes are wrong', async () => {
    const j = json();
    const kernel = j.weightsManifest[0].weights.find((w) => w.name === 'dense/kernel')!;
    kernel.shape = [2, 4];
    await rejects(
      loadKerasModel(encode(j), { weightShards: { 'group1-shard1of1.bin': shard() } }),
      /layer 'dense' \(Dense\): weight 'dense\/kernel' has shape \(2, 4\); expected kernel of shape \(4, 2\)/,
    );
  });
});

describe('unsupported layers and options', () => {
  const input = layer('InputLayer', { name: 'in', batch_shape: [null, 4, 2] });
  const load = (layers: unknown[], version = '3.1.0') => {
    const s = synthetic(sequential('m', [input, ...layers]), [], version);
    return loadKerasModel(s.json, s.options);
  };

  it('names the layer and its class', async () => {
    await rejects(
      load([layer('Conv2DTranspose', { name: 'conv', filters: 2, kernel_size: 3 })]),
      /layer "conv" has class "Conv2DTranspose", which is not supported/,
    );
  });

  it('names the layer, its class and the option', async () => {
    await rejects(
      load([layer('Dense', { name: 'd', units: 2, lora_rank: 4 })]),
      /layer 'd' \(Dense\): option 'lora_rank' = 4 is not supported/,
    );
    await rejects(
      load([layer('Dense', { name: 'd', units: 2, frobnicate: true })]),
      /layer 'd' \(Dense\): option 'frobnicate' = true is not supported/,
    );
    await rejects(
      load([layer('LSTM', { name: 'l', units: 2, time_major: true })], '2.4.0'),
      /layer 'l' \(LSTM\):.*time_major/,
    );
    await rejects(
      load([
        layer('Dense', {
          name: 'd',
          units: 2,
          dtype: { class_name: 'DTypePolicy', config: { name: 'mixed_float16' } },
        }),
      ]),
      /layer 'd' \(Dense\): option 'dtype' = .*mixed_float16.* is not supported/,
    );
    await rejects(
      load([
        layer('TimeDistributed', { name: 'td', layer: layer('Conv2DTranspose', { name: 'c' }) }),
      ]),
      /layer 'td' \(TimeDistributed\): option 'layer' wraps a layer that cannot be built: layer "c" has class "Conv2DTranspose", which is not supported/,
    );
  });

  it('refuses nested models', async () => {
    await rejects(
      load([sequential('inner', [layer('Dense', { name: 'd', units: 2 })])]),
      /nested Sequential model, which is not supported/,
    );
  });
});
