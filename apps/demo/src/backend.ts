/** Picks an rnnkit backend package by name and activates it. */

/** Backends the demo knows, each an installable package. */
export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];

/** Imports `@rnnkit/backend-<name>` (the Node entry for webgpu) and runs its `init()`. */
export async function useBackend(name: string): Promise<BackendName> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(
      `--backend: expected one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  const specifier = name === 'webgpu' ? '@rnnkit/backend-webgpu/node' : `@rnnkit/backend-${name}`;
  let mod: { init(): Promise<void> };
  try {
    mod = (await import(specifier)) as { init(): Promise<void> };
  } catch (error) {
    throw new Error(`backend ${name}: could not load ${specifier} (${(error as Error).message})`);
  }
  await mod.init();
  return name as BackendName;
}
