/**
 * Sets up the tfjs backends the runners need: each rnnkit backend package's `init()` where it
 * loads, else the plain tfjs backend (so tfjs-layers still has a baseline), plus a GPU dispatch
 * counter on webgpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  firstLine,
  importOptional,
  type RnnkitBackendModule,
  type RnnkitCore,
} from './rnnkit_api.js';

/** tfjs backends the bench knows. */
export const TF_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
/** One of {@link TF_BACKENDS}. */
export type TfBackendName = (typeof TF_BACKENDS)[number];

/** The reason given for runners a `--filter` leaves out. */
export const NOT_SELECTED = 'not selected by --filter';

/** Package entry that provides rnnkit's kernels for each tfjs backend. */
export const RNNKIT_BACKEND_PACKAGES: Record<TfBackendName, string> = {
  cpu: '@rnnkit/backend-cpu',
  wasm: '@rnnkit/backend-wasm',
  webgpu: '@rnnkit/backend-webgpu/node',
};

/** Counts GPU compute dispatches. */
export interface DispatchCounter {
  /** Where the count comes from, for the report. */
  source: string;
  read(): number;
}

/** Outcome of setting up one backend. */
export interface BackendSetup {
  name: TfBackendName;
  /** rnnkit runs here when set; else `rnnkitReason` says why not. */
  rnnkit?: RnnkitBackendModule;
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
  core?: RnnkitCore;
  coreReason?: string;
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

/** A dispatch counter exported by the rnnkit webgpu package, if it has one. */
function packageDispatchCounter(mod: RnnkitBackendModule | undefined): DispatchCounter | undefined {
  if (!mod) return undefined;
  for (const name of ['getDispatchCount', 'dispatchCount', 'getGpuDispatchCount']) {
    const fn = mod[name];
    if (typeof fn === 'function') {
      return {
        source: `@rnnkit/backend-webgpu ${name}()`,
        read: () => Number((fn as () => unknown)()),
      };
    }
  }
  return undefined;
}

async function setupBackend(
  name: TfBackendName,
  core: RnnkitCore | undefined,
  coreReason: string | undefined,
  wanted: boolean,
): Promise<BackendSetup> {
  const setup: BackendSetup = { name, tfjsReady: false };
  if (!wanted) {
    setup.rnnkitReason = setup.tfjsReason = NOT_SELECTED;
    return setup;
  }
  if (!core) setup.rnnkitReason = coreReason;
  else {
    try {
      const mod = await importOptional<RnnkitBackendModule>(RNNKIT_BACKEND_PACKAGES[name]);
      if (typeof mod.init !== 'function')
        throw new Error(`${RNNKIT_BACKEND_PACKAGES[name]} exports no init()`);
      await mod.init();
      setup.rnnkit = mod;
    } catch (err) {
      const msg = firstLine(err instanceof Error ? err.message : String(err));
      const spec = RNNKIT_BACKEND_PACKAGES[name];
      setup.rnnkitReason = msg.startsWith(spec) ? msg : `${spec}: ${msg}`;
    }
  }
  try {
    await registerPlainBackend(name);
    if (!(await tf.setBackend(name)))
      throw new Error(`tf.setBackend('${name}') failed (no adapter or init error)`);
    setup.tfjsReady = true;
  } catch (err) {
    setup.tfjsReason = firstLine(err instanceof Error ? err.message : String(err));
    if (setup.rnnkit) {
      setup.rnnkitReason = `init() passed but the tfjs backend is unusable: ${setup.tfjsReason}`;
      setup.rnnkit = undefined;
    }
  }
  if (setup.tfjsReady && name === 'webgpu') {
    setup.dispatches = packageDispatchCounter(setup.rnnkit) ?? gpuDispatchCounter();
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
 * Loads `@rnnkit/core` and sets up every backend in {@link TF_BACKENDS} order. `wanted` says which
 * backends any selected runner needs; the others are not touched (webgpu start-up is slow).
 */
export async function setupEnv(wanted: (name: TfBackendName) => boolean): Promise<BenchEnv> {
  tf.enableProdMode();
  let core: RnnkitCore | undefined;
  let coreReason: string | undefined;
  try {
    core = await importOptional<RnnkitCore>('@rnnkit/core');
    if (typeof core.LSTM !== 'function') throw new Error('@rnnkit/core exports no LSTM');
  } catch (err) {
    core = undefined;
    coreReason = firstLine(err instanceof Error ? err.message : String(err));
  }
  const backends = {} as Record<TfBackendName, BackendSetup>;
  for (const name of TF_BACKENDS)
    backends[name] = await setupBackend(name, core, coreReason, wanted(name));
  return { core, coreReason, backends };
}

/** Makes `name` the active tfjs backend (no-op when it already is). */
export async function useBackend(name: TfBackendName): Promise<void> {
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new Error(`tf.setBackend('${name}') returned false`);
  }
}
