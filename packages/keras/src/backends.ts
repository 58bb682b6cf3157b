/**
 * rnnkit backends by name. Each is the package `@rnnkit/backend-<name>`, imported on demand and
 * started with its `init()`. The cpu backend is a dependency; wasm and webgpu are optional and
 * found in this package's dependencies or the working directory's node_modules.
 */
import { fail, messageOf } from './errors.js';

/** Backend names the loader knows. */
export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];

interface BackendModule {
  init?: () => Promise<void>;
  backendName?: string;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (module|package)/.test(messageOf(e))
  );
}

/** The entry URL of the package in directory `root` for an exports `subpath`, if it is `pkg`. */
async function entryOf(root: string, pkg: string, subpath: string): Promise<string | null> {
  const path = await import('node:path');
  const fs = await import('node:fs/promises');
  const { pathToFileURL } = await import('node:url');
  let manifest: {
    name?: string;
    exports?: Record<string, { import?: string } | string>;
    main?: string;
  };
  try {
    manifest = JSON.parse(
      await fs.readFile(path.join(root, 'package.json'), 'utf8'),
    ) as typeof manifest;
  } catch {
    return null;
  }
  if (manifest.name !== pkg) return null;
  const target = manifest.exports?.[subpath];
  const entry =
    (typeof target === 'string' ? target : target?.import) ??
    (subpath === '.' ? manifest.main : undefined);
  return entry == null ? null : pathToFileURL(path.join(root, entry)).href;
}

/**
 * Finds `pkg` for a CLI run: under `node_modules` from the working directory upwards, then, inside
 * the rnnkit repository, next to this package (`packages/backend-<name>`).
 */
async function findPackage(pkg: string, subpath: string): Promise<string | null> {
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  for (let d = path.resolve(process.cwd()); ; d = path.dirname(d)) {
    const found = await entryOf(path.join(d, 'node_modules', ...pkg.split('/')), pkg, subpath);
    if (found != null) return found;
    if (path.dirname(d) === d) break;
  }
  // This file lives in packages/keras/src or packages/keras/dist.
  const packages = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return entryOf(path.join(packages, pkg.replace('@rnnkit/', '')), pkg, subpath);
}

/**
 * Imports `@rnnkit/backend-<name>` and runs its `init()` (registers the tfjs backend and the rnnkit
 * kernels, then makes it the active backend). Throws a clear error when the package is missing.
 */
export async function loadBackend(name: string): Promise<void> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    fail(`backend: expected one of ${BACKENDS.join(', ')}, got '${name}'`);
  }
  const pkg = `@rnnkit/backend-${name}`;
  // Under Node, WebGPU comes from Dawn through the package's ./node entry.
  const subpath = name === 'webgpu' && isNode() ? './node' : '.';
  const specifier = subpath === '.' ? pkg : `${pkg}/${subpath.slice(2)}`;
  let mod: BackendModule;
  try {
    mod = (await import(specifier)) as BackendModule;
  } catch (e) {
    if (!isNotFound(e)) fail(`backend '${name}': importing ${specifier} failed (${messageOf(e)})`);
    const url = isNode() ? await findPackage(pkg, subpath) : null;
    if (url == null) {
      fail(
        `backend '${name}' needs the package ${pkg}, which is not installed (install it next to @rnnkit/keras)`,
      );
    }
    try {
      mod = (await import(url)) as BackendModule;
    } catch (e2) {
      fail(`backend '${name}': importing ${specifier} from ${url} failed (${messageOf(e2)})`);
    }
  }
  if (typeof mod.init !== 'function') fail(`backend '${name}': ${pkg} has no init() function`);
  try {
    await mod.init();
  } catch (e) {
    fail(`backend '${name}': init() failed (${messageOf(e)})`);
  }
}
