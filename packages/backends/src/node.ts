/**
 * @rnnkit/backends for Node: picks an rnnkit backend by name, imports its package and activates
 * it. The browser entry (`browser.ts`, the `browser` export condition) offers the same names.
 */
import type * as CpuBackend from '@rnnkit/backend-cpu';
import type * as WasmBackend from '@rnnkit/backend-wasm';
import type * as WebGpuBackend from '@rnnkit/backend-webgpu/node';
import { activate, type BackendName } from './names.js';

export { BACKENDS, isBackendName, type BackendName } from './names.js';

/** The package (and entry) that provides each backend under Node. */
export const BACKEND_PACKAGES = {
  cpu: '@rnnkit/backend-cpu',
  wasm: '@rnnkit/backend-wasm',
  webgpu: '@rnnkit/backend-webgpu/node',
} as const satisfies Record<BackendName, string>;

/** The module of each backend's package entry. */
export interface BackendModules {
  cpu: typeof CpuBackend;
  wasm: typeof WasmBackend;
  webgpu: typeof WebGpuBackend;
}

/**
 * Imports the package of backend `name` ({@link BACKEND_PACKAGES}); importing registers its
 * kernels, `init()` then activates it. Rejects with the import's own error.
 */
export async function importBackend<N extends BackendName>(name: N): Promise<BackendModules[N]> {
  // Literal specifiers, so bundlers and the type checker see each package.
  switch (name) {
    case 'cpu':
      return (await import('@rnnkit/backend-cpu')) as BackendModules[N];
    case 'wasm':
      return (await import('@rnnkit/backend-wasm')) as BackendModules[N];
    default:
      return (await import('@rnnkit/backend-webgpu/node')) as BackendModules[N];
  }
}

/**
 * Imports `@rnnkit/backend-<name>` (the Dawn entry for webgpu), registers its kernels and makes
 * it the active tfjs backend. Throws an error naming the backend and the cause when it cannot:
 * an unknown name, a package that does not load, or an `init()` that fails (e.g. no WebGPU
 * adapter).
 */
export async function useBackend(name: string): Promise<BackendName> {
  return activate(name, importBackend, (backend) => backend.init());
}
