/** Picks an rnnkit backend by name in Node: imports its package and activates it. */
import type * as CpuBackend from '@rnnkit/backend-cpu';
import type * as WasmBackend from '@rnnkit/backend-wasm';
import type * as WebGpuBackend from '@rnnkit/backend-webgpu/node';

/** The backends rnnkit ships, each an installable package. */
export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];

/** True when `name` is one of {@link BACKENDS}. */
export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Imports `@rnnkit/backend-<name>` (the Dawn entry for webgpu), registers its kernels and makes
 * it the active tfjs backend. Throws an error naming the backend and the cause when it cannot:
 * an unknown name, a package that does not load, or an `init()` that fails (e.g. no WebGPU
 * adapter).
 */
export async function useBackend(name: string): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new Error(`backend: expected one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  let backend: BackendModules[BackendName];
  try {
    backend = await importBackend(name);
  } catch (error) {
    throw new Error(`backend ${name}: could not load its package (${messageOf(error)})`, {
      cause: error,
    });
  }
  try {
    await backend.init();
  } catch (error) {
    throw new Error(`backend ${name}: init() failed (${messageOf(error)})`, { cause: error });
  }
  return name;
}
