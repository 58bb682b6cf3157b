/** Deterministic mutations of model files for the fuzz and hostile-input tests. */
import h5wasm from 'h5wasm';
import { unzipSync, zipSync } from 'fflate';

export { flipBytes, rng } from './byte_mutations.js';

/** The first `length` bytes. */
export function truncate(bytes: Uint8Array, length: number): Uint8Array {
  return bytes.slice(0, Math.max(0, Math.min(bytes.length, length)));
}

const REPLACEMENTS: unknown[] = [
  null,
  -1,
  0,
  1e12,
  2 ** 31,
  1.5,
  'x',
  '',
  [],
  {},
  true,
  false,
  [1e9, 1e9],
  { class_name: 'X' },
];

/** A deterministic edit of a JSON value: delete, replace or retype one node. */
export function mutateJson(value: unknown, rand: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((c, i) => (nodes.push({ parent: v, key: i }), walk(c)));
    else if (v != null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        nodes.push({ parent: v as Record<string, unknown>, key: k });
        walk(c);
      }
    }
  };
  walk(copy);
  if (nodes.length === 0) return REPLACEMENTS[Math.floor(rand() * REPLACEMENTS.length)];
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const { parent, key } = nodes[Math.floor(rand() * nodes.length)];
    const current = (parent as Record<string | number, unknown>)[key];
    const kind = rand();
    if (kind < 0.25 && !Array.isArray(parent))
      delete (parent as Record<string, unknown>)[key as string];
    else if (kind < 0.4 && typeof current === 'number')
      (parent as Record<string | number, unknown>)[key] = current * (rand() < 0.5 ? 1e6 : -1);
    else if (kind < 0.5 && typeof current === 'string')
      (parent as Record<string | number, unknown>)[key] = `${current}_x`;
    else
      (parent as Record<string | number, unknown>)[key] =
        REPLACEMENTS[Math.floor(rand() * REPLACEMENTS.length)];
  }
  return copy;
}

/** Rewrites a root attribute of an HDF5 file (h5wasm, in memory); returns the new bytes. */
export async function withRootAttribute(
  bytes: Uint8Array,
  name: string,
  value: string,
): Promise<Uint8Array> {
  const module = await h5wasm.ready;
  const path = `/mutate-${name}-${Math.random().toString(36).slice(2)}.h5`;
  module.FS.writeFile(path, bytes);
  const f = new h5wasm.File(path, 'a');
  try {
    f.delete_attribute(name);
    f.create_attribute(name, value);
  } finally {
    f.close();
  }
  const out = module.FS.readFile(path) as Uint8Array;
  module.FS.unlink(path);
  return out;
}

/** Reads a root string attribute of an HDF5 file. */
export async function rootAttribute(bytes: Uint8Array, name: string): Promise<string> {
  const module = await h5wasm.ready;
  const path = `/read-${Math.random().toString(36).slice(2)}.h5`;
  module.FS.writeFile(path, bytes);
  const f = new h5wasm.File(path, 'r');
  try {
    return String(f.attrs[name].value);
  } finally {
    f.close();
    module.FS.unlink(path);
  }
}

/** The entries of a zip archive. */
export function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(bytes);
}

/** A zip archive of `entries`, deflated at `level` (0 = stored). */
export function zip(entries: Record<string, Uint8Array>, level: 0 | 6 | 9 = 0): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level }]])));
}
