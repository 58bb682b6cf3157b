/**
 * @rnnkit/backends for browsers (the `browser` export condition, or `@rnnkit/backends/browser`):
 * the same backend names as the Node entry, with the browser entry of each package.
 */
import type * as CpuBackend from '@rnnkit/backend-cpu';
import type * as WasmBackend from '@rnnkit/backend-wasm';
import type * as WebGpuBackend from '@rnnkit/backend-webgpu';
import { activate, type BackendName } from './names.js';

export { BACKENDS, isBackendName, type BackendName } from './names.js';

/** The package that provides each backend in browsers. */
export const BACKEND_PACKAGES = {
  cpu: '@rnnkit/backend-cpu',
  wasm: '@rnnkit/backend-wasm',
  webgpu: '@rnnkit/backend-webgpu',
} as const satisfies Record<BackendName, string>;

/** The module of each backend's package entry. */
export interface BackendModules {
  cpu: typeof CpuBackend;
  wasm: typeof WasmBackend;
  webgpu: typeof WebGpuBackend;
}

/** Options of each backend's `init()`, by backend name. */
export interface BackendInitOptions {
  /** e.g. `wasmPaths`: where the bundler put tfjs-backend-wasm's `.wasm` files. */
  wasm?: WasmBackend.InitOptions;
}

/**
 * Imports the package of backend `name` ({@link BACKEND_PACKAGES}), each in a chunk of its own
 * for bundlers; importing registers its kernels, `init()` then activates it.
 */
export async function importBackend<N extends BackendName>(name: N): Promise<BackendModules[N]> {
  // Literal specifiers, so bundlers see each package.
  switch (name) {
    case 'cpu':
      return (await import('@rnnkit/backend-cpu')) as BackendModules[N];
    case 'wasm':
      return (await import('@rnnkit/backend-wasm')) as BackendModules[N];
    default:
      return (await import('@rnnkit/backend-webgpu')) as BackendModules[N];
  }
}

/** Runs the `init()` of a module {@link importBackend} gave, with that backend's options. */
export async function initBackend<N extends BackendName>(
  name: N,
  backend: BackendModules[N],
  options: BackendInitOptions = {},
): Promise<void> {
  if (name === 'wasm') await (backend as typeof WasmBackend).init(options.wasm);
  else await (backend as typeof CpuBackend | typeof WebGpuBackend).init();
}

/**
 * Imports `@rnnkit/backend-<name>`, registers its kernels and makes it the active tfjs backend.
 * Throws an error naming the backend and the cause when it cannot: an unknown name, a package
 * that does not load, or an `init()` that fails (e.g. no WebGPU adapter).
 */
export async function useBackend(
  name: string,
  options: BackendInitOptions = {},
): Promise<BackendName> {
  return activate(name, importBackend, (backend, n) => initBackend(n, backend, options));
}
