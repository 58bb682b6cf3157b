/**
 * Inputs that another tfjs backend still holds: tfjs moves them onto the wasm heap when the
 * kernel looks them up, and a large one grows that heap, which detaches every view of it taken
 * before. The kernels must look all inputs up before taking any view (in copy mode they copy
 * out of views of tfjs's heap).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, setMemoryMode } from '../src/index.js';
import {
  expectClose,
  KERNEL_NAMES,
  kernelAttrs,
  kernelInputs,
  makeProblem,
  naiveOutputs,
} from './helpers.js';

/** A tfjs backend that only holds data: enough for tensors to be created on it and moved off. */
class HoldingBackend extends tf.KernelBackend {
  private readonly values = new Map<object, tf.backend_util.BackendValues>();

  override write(values: tf.backend_util.BackendValues): object {
    const dataId = {};
    this.values.set(dataId, values);
    return dataId;
  }
  override move(dataId: object, values: tf.backend_util.BackendValues): void {
    this.values.set(dataId, values);
  }
  override readSync(dataId: object): tf.backend_util.BackendValues {
    const values = this.values.get(dataId);
    if (values == null) throw new Error('HoldingBackend: no such data');
    return values;
  }
  override read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }
  override disposeData(dataId: object): boolean {
    return this.values.delete(dataId);
  }
  override numDataIds(): number {
    return this.values.size;
  }
  override refCount(): number {
    return 1;
  }
  override incRef(): void {}
  override memory(): { unreliable: boolean } {
    return { unreliable: true };
  }
  override floatPrecision(): 32 {
    return 32;
  }
  override epsilon(): number {
    return 1e-7;
  }
  override dispose(): void {
    this.values.clear();
  }
}

const HOLDER = 'rnnkit-test-holder';

beforeAll(async () => {
  await init();
  tf.registerBackend(HOLDER, () => new HoldingBackend());
});

afterAll(() => {
  setMemoryMode(null);
  tf.removeBackend(HOLDER);
});

// Copy mode is where views of tfjs's heap are taken (to copy inputs onto the module's own heap).
describe('inputs held by another backend (copy mode)', () => {
  it('are moved onto the heap before any view of it is taken, even when that grows it', async () => {
    setMemoryMode('copy');
    // A 64 MiB kernel: moving it onto tfjs's heap grows the heap.
    const p = makeProblem({
      family: 'lstm',
      batch: 2,
      steps: 3,
      inputDim: 8192,
      units: 512,
      weightScale: 0.02,
    });
    await tf.setBackend(HOLDER);
    const held = kernelInputs(p);
    await tf.setBackend('wasm');
    const memory = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer
      .byteLength;
    // x and the states on the heap already, the weights still held elsewhere.
    const onHeap = kernelInputs(p);
    const inputs = { ...held, x: onHeap.x, initialH: onHeap.initialH, initialC: onHeap.initialC };
    const out = tf.engine().runKernel(KERNEL_NAMES.lstm, inputs, kernelAttrs(p)) as tf.Tensor[];
    const grown = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer
      .byteLength;
    expect(grown, 'the move grew the heap').toBeGreaterThan(memory);
    const expected = naiveOutputs(p);
    out.forEach((t, i) => expectClose(t.dataSync(), expected[i], `output ${i}`));
    tf.dispose([...out, ...Object.values(held), ...Object.values(onHeap)]);
  });
});
