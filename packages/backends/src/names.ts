/** The backend names rnnkit ships, shared by the Node and browser entries. */

/** The backends rnnkit ships, each an installable package. */
export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];

/** True when `name` is one of {@link BACKENDS}. */
export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks `name`, loads its package with `load` and starts it with `start`, turning each failure
 * into an error that names the backend and the step: an unknown name, a package that does not
 * load, or an `init()` that fails (e.g. no WebGPU adapter).
 */
export async function activate<M>(
  name: string,
  load: (name: BackendName) => Promise<M>,
  start: (backend: M, name: BackendName) => Promise<unknown>,
): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new Error(`backend: expected one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  let backend: M;
  try {
    backend = await load(name);
  } catch (error) {
    throw new Error(`backend ${name}: could not load its package (${messageOf(error)})`, {
      cause: error,
    });
  }
  try {
    await start(backend, name);
  } catch (error) {
    throw new Error(`backend ${name}: init() failed (${messageOf(error)})`, { cause: error });
  }
  return name;
}
