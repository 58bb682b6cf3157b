// @ts-check
/* global TextDecoder */
/**
 * Reads an HDF5 file (bytes) into a plain tree of groups, attributes and datasets with h5wasm.
 * Plain JavaScript so the same code runs in a worker thread (no TypeScript loader there) and
 * in-process. Every size is checked against the limits before h5wasm allocates anything.
 */

/**
 * @typedef {string | string[] | number | number[] | null} H5AttrValue
 * @typedef {{ kind: 'group', attrs: Record<string, H5AttrValue>, children: [string, H5Node][] }} H5Group
 * @typedef {{ kind: 'dataset', attrs: Record<string, H5AttrValue>, shape: number[], dtype: string,
 *   data: Float32Array | Float64Array | Int32Array | null, problem: string | null }} H5Dataset
 * @typedef {H5Group | H5Dataset} H5Node
 * @typedef {{ maxNodes: number, maxDepth: number, maxAttributeBytes: number,
 *   maxDatasetBytes: number, maxTotalBytes: number, skipRootGroups: string[] }} ExtractLimits
 */

let fileCounter = 0;

/** An error that reports a malformed or oversized file (as opposed to a bug). */
export class Hdf5FormatError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'Hdf5FormatError';
  }
}

/**
 * @param {any} h5wasm the h5wasm module namespace (after `ready`)
 * @param {Uint8Array} bytes
 * @param {ExtractLimits} limits
 * @returns {H5Group}
 */
export function extractTree(h5wasm, bytes, limits) {
  const FS = h5wasm.FS;
  const Module = h5wasm.Module;
  const path = `/rnnkit-input-${fileCounter++}.h5`;
  FS.writeFile(path, bytes);
  /** @type {any} */
  let file = null;
  try {
    try {
      file = new h5wasm.File(path, 'r');
    } catch (e) {
      throw new Hdf5FormatError(
        `not a readable HDF5 file (${/** @type {Error} */ (e)?.message ?? e})`,
      );
    }
    const budget = { nodes: 0, bytes: 0 };
    return readGroup(h5wasm, Module, file, '/', 0, limits, budget);
  } finally {
    try {
      if (file != null) file.close();
    } catch {
      // Closing a file that failed half-way may fail too; the bytes are freed below.
    }
    try {
      FS.unlink(path);
    } catch {
      // Already gone.
    }
  }
}

/**
 * @param {any} h5wasm
 * @param {any} Module
 * @param {any} group
 * @param {string} path
 * @param {number} depth
 * @param {ExtractLimits} limits
 * @param {{ nodes: number, bytes: number }} budget
 * @returns {H5Group}
 */
function readGroup(h5wasm, Module, group, path, depth, limits, budget) {
  if (depth > limits.maxDepth) {
    throw new Hdf5FormatError(
      `HDF5 groups nest deeper than ${limits.maxDepth} levels at '${path}'`,
    );
  }
  countNode(limits, budget, path);
  const attrs = readAttrs(Module, group, path, limits);
  /** @type {[string, H5Node][]} */
  const children = [];
  /** @type {unknown} */
  const keys = group.keys();
  if (!Array.isArray(keys)) throw new Hdf5FormatError(`HDF5 group '${path}' lists no members`);
  for (const key of keys) {
    if (typeof key !== 'string') continue;
    if (depth === 0 && limits.skipRootGroups.includes(key)) continue;
    const childPath = path === '/' ? `/${key}` : `${path}/${key}`;
    const child = group.get(key);
    if (child instanceof h5wasm.Group) {
      children.push([key, readGroup(h5wasm, Module, child, childPath, depth + 1, limits, budget)]);
    } else if (child instanceof h5wasm.Dataset) {
      countNode(limits, budget, childPath);
      children.push([key, readDataset(Module, child, childPath, limits, budget)]);
    }
    // Links to other files, broken links and named datatypes carry no weights: skipped.
  }
  return { kind: 'group', attrs, children };
}

/**
 * @param {ExtractLimits} limits
 * @param {{ nodes: number, bytes: number }} budget
 * @param {string} path
 */
function countNode(limits, budget, path) {
  budget.nodes += 1;
  if (budget.nodes > limits.maxNodes) {
    throw new Hdf5FormatError(
      `HDF5 file has more than ${limits.maxNodes} groups and datasets (at '${path}')`,
    );
  }
}

/**
 * @param {unknown} shape
 * @param {string} what
 * @returns {number[]}
 */
function checkShape(shape, what) {
  if (shape == null) return [];
  if (!Array.isArray(shape)) throw new Hdf5FormatError(`${what}: unreadable shape`);
  return shape.map((d) => {
    const n = Number(d);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Hdf5FormatError(`${what}: invalid dimension ${String(d)}`);
    return n;
  });
}

/**
 * @param {any} Module
 * @param {any} obj
 * @param {string} path
 * @param {ExtractLimits} limits
 * @returns {Record<string, H5AttrValue>}
 */
function readAttrs(Module, obj, path, limits) {
  /** @type {Record<string, H5AttrValue>} */
  const out = {};
  const names = Module.get_attribute_names(obj.file_id, obj.path);
  if (!Array.isArray(names)) return out;
  if (names.length > 10000)
    throw new Hdf5FormatError(`HDF5 object '${path}' has ${names.length} attributes`);
  for (const name of names) {
    if (typeof name !== 'string') continue;
    const meta = Module.get_attribute_metadata(obj.file_id, obj.path, name);
    const shape = checkShape(meta?.shape, `attribute '${name}' of '${path}'`);
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = count * Number(meta?.size ?? 0);
    if (!(bytes <= limits.maxAttributeBytes)) {
      throw new Hdf5FormatError(
        `attribute '${name}' of '${path}' declares ${bytes} bytes (limit ${limits.maxAttributeBytes})`,
      );
    }
    out[name] = plainValue(obj.attrs[name]?.value);
  }
  return out;
}

/**
 * Strings, numbers and arrays of them; anything else (compound, references) becomes null.
 * @param {unknown} value
 * @returns {H5AttrValue}
 */
function plainValue(value) {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array && value.length > 0 && isText(value)) {
    return new TextDecoder().decode(value);
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(
      /** @type {ArrayLike<number | bigint>} */ (/** @type {unknown} */ (value)),
      (v) => Number(v),
    );
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return value;
    if (value.every((v) => typeof v === 'number' || typeof v === 'bigint'))
      return value.map((v) => Number(v));
  }
  return null;
}

/** @param {Uint8Array} bytes */
function isText(bytes) {
  return bytes.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
}

/**
 * @param {any} Module
 * @param {any} dataset
 * @param {string} path
 * @param {ExtractLimits} limits
 * @param {{ nodes: number, bytes: number }} budget
 * @returns {H5Dataset}
 */
function readDataset(Module, dataset, path, limits, budget) {
  const attrs = readAttrs(Module, dataset, path, limits);
  const meta = dataset.metadata;
  const shape = checkShape(meta?.shape, `dataset '${path}'`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = Number(meta?.size ?? 0);
  const dtype = String(dataset.dtype);
  const bytes = count * size;
  /** @type {H5Dataset} */
  const result = { kind: 'dataset', attrs, shape, dtype, data: null, problem: null };
  // type 1 = float, 0 = integer in h5wasm's metadata.
  const isFloat = meta?.type === 1 && (size === 4 || size === 8);
  const isInt = meta?.type === 0 && size === 4;
  if (!isFloat && !isInt) {
    result.problem = `unsupported element type ${dtype}`;
    return result;
  }
  if (!(bytes <= limits.maxDatasetBytes)) {
    throw new Hdf5FormatError(
      `dataset '${path}' declares shape [${shape.join(', ')}] (${bytes} bytes, limit ${limits.maxDatasetBytes})`,
    );
  }
  budget.bytes += bytes;
  if (budget.bytes > limits.maxTotalBytes) {
    throw new Hdf5FormatError(
      `HDF5 datasets exceed ${limits.maxTotalBytes} bytes in total (at '${path}')`,
    );
  }
  const value = count === 0 ? null : dataset.value;
  if (count === 0) {
    result.data =
      size === 8 ? new Float64Array(0) : isInt ? new Int32Array(0) : new Float32Array(0);
  } else if (
    value instanceof Float32Array ||
    value instanceof Float64Array ||
    value instanceof Int32Array
  ) {
    if (value.length !== count) {
      throw new Hdf5FormatError(
        `dataset '${path}' holds ${value.length} values for shape [${shape.join(', ')}]`,
      );
    }
    result.data = value;
  } else {
    result.problem = `unreadable values of type ${dtype}`;
  }
  return result;
}
