/**
 * The rnnkit backends, from the list @rnnkit/backends keeps (its browser entry), loaded on
 * demand. Each package's `init()` registers its kernels and makes its tfjs backend the active
 * one; every package is imported dynamically so that a failure to load or start one leaves the
 * others usable and is shown, not thrown.
 */
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  BACKEND_PACKAGES,
  BACKENDS,
  importBackend,
  initBackend,
  type BackendName,
} from '@rnnkit/backends';
import { messageOf } from './dom.js';

/** Backends the page offers, in picker order. */
export const BACKEND_NAMES = BACKENDS;
export { BACKEND_PACKAGES, type BackendName };

/** Where a backend stands: not tried yet, starting, usable, absent here, or broken. */
export type BackendStatus = 'idle' | 'loading' | 'ready' | 'unavailable' | 'failed';

/** A backend's status and the line shown next to it. */
export interface BackendState {
  name: BackendName;
  status: BackendStatus;
  message: string;
}

/**
 * tfjs-backend-wasm fetches its `.wasm` files at startup; these URLs are the copies the bundler
 * emits, so the page works from any base path. The threaded build is picked only on
 * cross-origin-isolated pages.
 */
const WASM_PATHS: Record<string, string> = {
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
};

const INIT_TIMEOUT_MS = 60_000;

async function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${INIT_TIMEOUT_MS / 1000} s`)),
      INIT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Init = () => Promise<void>;

async function importInit(name: BackendName): Promise<Init> {
  const backend = await importBackend(name);
  return () => initBackend(name, backend, { wasm: { wasmPaths: WASM_PATHS } });
}

/** What the browser's WebGPU offers: an adapter description, or why there is none. */
export type WebGPUProbe = { ok: true; adapter: string } | { ok: false; reason: string };

/**
 * Asks `navigator.gpu` for an adapter. The description (e.g. `google swiftshader`, a CPU
 * implementation used by headless browsers) tells how to read the webgpu timings.
 */
export async function probeWebGPU(): Promise<WebGPUProbe> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu == null) {
    return {
      ok: false,
      reason: 'this browser has no navigator.gpu (WebGPU is off or unsupported)',
    };
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter == null) {
      return { ok: false, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
    }
    const info = adapter.info;
    const parts = [info?.vendor, info?.architecture, info?.device, info?.description];
    const label = parts.filter((p) => p != null && p !== '').join(' ');
    return { ok: true, adapter: label || 'unnamed adapter' };
  } catch (e) {
    return { ok: false, reason: `navigator.gpu.requestAdapter() failed: ${messageOf(e)}` };
  }
}

const inits = new Map<BackendName, Init>();

/**
 * Imports the backend package (once) and runs its `init()`, which makes it the active tfjs
 * backend. Rejects with a message naming the package and the step that failed.
 */
export async function activateBackend(name: BackendName): Promise<void> {
  const pkg = BACKEND_PACKAGES[name];
  let init = inits.get(name);
  if (init == null) {
    try {
      init = await importInit(name);
    } catch (e) {
      throw new Error(`could not load ${pkg}: ${messageOf(e)}`, { cause: e });
    }
    inits.set(name, init);
  }
  try {
    await withTimeout(`${pkg} init()`, init());
  } catch (e) {
    throw new Error(`${pkg} init() failed: ${messageOf(e)}`, { cause: e });
  }
}
