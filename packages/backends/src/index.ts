/** Picks an rnnkit backend by name in Node: imports its package and activates it. */

/** The backends rnnkit ships, each an installable package. */
export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];

/** True when `name` is one of {@link BACKENDS}. */
export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

async function importBackend(name: BackendName): Promise<{ init(): Promise<unknown> }> {
  // Literal specifiers, so bundlers and the type checker see each package.
  switch (name) {
    case 'cpu':
      return import('@rnnkit/backend-cpu');
    case 'wasm':
      return import('@rnnkit/backend-wasm');
    case 'webgpu':
      return import('@rnnkit/backend-webgpu/node');
  }
}

/**
 * Imports `@rnnkit/backend-<name>` (the Dawn entry for webgpu), registers its kernels and makes
 * it the active tfjs backend. Throws an error naming the backend and the cause when it cannot.
 */
export async function useBackend(name: string): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new Error(`backend: expected one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  let backend: { init(): Promise<unknown> };
  try {
    backend = await importBackend(name);
  } catch (error) {
    throw new Error(`backend ${name}: could not load its package (${(error as Error).message})`);
  }
  await backend.init();
  return name;
}
