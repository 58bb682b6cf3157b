/**
 * Sets up the tfjs backends the runners need: each rnnkit backend package's `init()` where it
 * loads, else the plain tfjs backend (so tfjs-layers still has a baseline), plus a GPU dispatch
 * counter on webgpu. Backend packages are imported only when a selected runner needs them, and a
 * package that does not load or start skips its runners with the reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES, BACKENDS, importBackend, type BackendName } from '@rnnkit/backends';
import { explainImportError, firstLine } from './reasons.js';

/** tfjs backends the bench knows: those rnnkit has backend packages for. */
export const TF_BACKENDS = BACKENDS;
/** One of {@link TF_BACKENDS}. */
export type TfBackendName = BackendName;

/** The reason given for runners a `--filter` leaves out. */
export const NOT_SELECTED = 'not selected by --filter';

/** Counts GPU compute dispatches. */
export interface DispatchCounter {
  /** Where the count comes from, for the report. */
  source: string;
  read(): number;
}

/** Outcome of setting up one backend. */
export interface BackendSetup {
  name: TfBackendName;
  /** The rnnkit backend package loaded and started; else `rnnkitReason` says why not. */
  rnnkitReady: boolean;
  rnnkitReason?: string;
  /** The tfjs backend is registered and initialises; else `tfjsReason` says why not. */
  tfjsReady: boolean;
  tfjsReason?: string;
  dispatches?: DispatchCounter;
  /** webgpu: the adapter tfjs got (`vendor architecture`), and whether it is a CPU emulation. */
  adapter?: string;
  softwareAdapter?: boolean;
}

/** Everything the runners share. */
export interface BenchEnv {
  backends: Record<TfBackendName, BackendSetup>;
}

/** Dawn for Node when no rnnkit webgpu package set it up: `navigator.gpu` for tfjs-backend-webgpu. */
async function installDawn(): Promise<void> {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
}

/** Registers the plain tfjs backend (no rnnkit kernels) when nothing registered it yet. */
async function registerPlainBackend(name: TfBackendName): Promise<void> {
  if (tf.findBackendFactory(name)) return;
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else {
    await installDawn();
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!tf.findBackendFactory(name)) throw new Error(`tfjs backend '${name}' did not register`);
}

/** Counts `dispatchWorkgroups` calls on the webgpu backend's device by wrapping the pass encoder's prototype. */
function gpuDispatchCounter(): DispatchCounter | undefined {
  type PassEncoder = { end(): void };
  type Device = { createCommandEncoder(): { beginComputePass(): PassEncoder } };
  const backend = tf.findBackend('webgpu') as unknown as { device?: Device } | null;
  const device = backend?.device;
  if (!device) return undefined;
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  const proto = Object.getPrototypeOf(pass) as Record<string, unknown>;
  pass.end();
  const mark = Symbol.for('rnnkit-bench.dispatchCount');
  const holder = proto as Record<symbol, { n: number }>;
  if (!holder[mark]) {
    const counter = { n: 0 };
    for (const method of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
      const original = proto[method];
      if (typeof original !== 'function') continue;
      proto[method] = function (this: unknown, ...args: unknown[]) {
        counter.n++;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
    holder[mark] = counter;
  }
  const counter = holder[mark];
  return { source: 'GPUComputePassEncoder.dispatchWorkgroups calls', read: () => counter.n };
}

/** The dispatch counter of the rnnkit webgpu package. */
async function packageDispatchCounter(): Promise<DispatchCounter> {
  const { getDispatchCount } = await importBackend('webgpu');
  return { source: '@rnnkit/backend-webgpu getDispatchCount()', read: getDispatchCount };
}

async function setupBackend(name: TfBackendName, wanted: boolean): Promise<BackendSetup> {
  const setup: BackendSetup = { name, rnnkitReady: false, tfjsReady: false };
  if (!wanted) {
    setup.rnnkitReason = setup.tfjsReason = NOT_SELECTED;
    return setup;
  }
  const spec = BACKEND_PACKAGES[name];
  try {
    const mod = await importBackend(name).catch((err: unknown) => {
      throw new Error(explainImportError(spec, err));
    });
    await mod.init();
    setup.rnnkitReady = true;
  } catch (err) {
    const msg = firstLine(err instanceof Error ? err.message : String(err));
    setup.rnnkitReason = msg.startsWith(spec) ? msg : `${spec}: ${msg}`;
  }
  try {
    await registerPlainBackend(name);
    if (!(await tf.setBackend(name)))
      throw new Error(`tf.setBackend('${name}') failed (no adapter or init error)`);
    setup.tfjsReady = true;
  } catch (err) {
    setup.tfjsReason = firstLine(err instanceof Error ? err.message : String(err));
    if (setup.rnnkitReady) {
      setup.rnnkitReason = `init() passed but the tfjs backend is unusable: ${setup.tfjsReason}`;
      setup.rnnkitReady = false;
    }
  }
  if (setup.tfjsReady && name === 'webgpu') {
    setup.dispatches = setup.rnnkitReady ? await packageDispatchCounter() : gpuDispatchCounter();
    const backend = tf.findBackend('webgpu') as unknown as {
      adapterInfo?: { vendor?: string; architecture?: string };
    };
    const info = backend.adapterInfo;
    setup.adapter =
      [info?.vendor, info?.architecture].filter((s) => s).join(' ') || 'unknown adapter';
    setup.softwareAdapter = /swiftshader|llvmpipe|lavapipe/i.test(setup.adapter);
  }
  return setup;
}

/**
 * Sets up every backend in {@link TF_BACKENDS} order. `wanted` says which backends any selected
 * runner needs; the others are not touched (webgpu start-up is slow).
 */
export async function setupEnv(wanted: (name: TfBackendName) => boolean): Promise<BenchEnv> {
  // Production mode skips tfjs's debug checks and silences tfjs-backend-cpu's Node banner
  // ("Hi, looks like you are running TensorFlow.js in Node.js…", printed through tfjs's warn).
  tf.enableProdMode();
  const backends = {} as Record<TfBackendName, BackendSetup>;
  for (const name of TF_BACKENDS) backends[name] = await setupBackend(name, wanted(name));
  return { backends };
}

/** Makes `name` the active tfjs backend (no-op when it already is). */
export async function useBackend(name: TfBackendName): Promise<void> {
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new Error(`tf.setBackend('${name}') returned false`);
  }
}
