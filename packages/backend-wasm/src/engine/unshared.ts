/**
 * The plain-memory module variants, derived from the shared-memory builds at load time, so the
 * package embeds two binaries instead of four.
 *
 * A shared-memory build differs from its plain build only in its memory import (`shared`, with a
 * maximum) and in the barrier between threads (atomic instructions, run only by calls with more
 * than one thread). Atomic instructions validate on a non-shared memory, so rewriting the import's
 * limits to "not shared, no maximum" gives a module that links against any plain memory: tfjs's
 * (whatever its maximum) or the package's own copy-mode memory.
 */

const IMPORT_SECTION = 2;
/** Import kinds (external types). */
const FUNC = 0;
const TABLE = 1;
const MEMORY = 2;
const GLOBAL = 3;
/** Memory limits flags: bit 0 = has a maximum, bit 1 = shared. */
const HAS_MAX = 1;
const SHARED = 2;

/** Reads an unsigned LEB128 (up to 32 bits) at `pos`; returns [value, next position]. */
function readU32(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) break;
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
  }
  throw new Error(`rnnkit wasm: expected a LEB128 number at byte ${pos}, got a truncated one`);
}

function writeU32(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

/** Skips a name (length-prefixed bytes). */
function skipName(bytes: Uint8Array, pos: number): number {
  const [length, start] = readU32(bytes, pos);
  return start + length;
}

/** Skips limits at `pos` (flags, minimum, maximum when flagged). */
function skipLimits(bytes: Uint8Array, pos: number): number {
  const flags = bytes[pos];
  let next = readU32(bytes, pos + 1)[1];
  if ((flags & HAS_MAX) !== 0) next = readU32(bytes, next)[1];
  return next;
}

/**
 * Rewrites the import section's body so that its one memory import is not shared and has no
 * maximum; throws unless it finds exactly one shared memory import.
 */
function unshareImports(body: Uint8Array): Uint8Array<ArrayBuffer> {
  const [count, first] = readU32(body, 0);
  let pos = first;
  let memoryLimits = -1;
  for (let i = 0; i < count; i++) {
    pos = skipName(body, skipName(body, pos));
    const kind = body[pos++];
    if (kind === FUNC) pos = readU32(body, pos)[1];
    else if (kind === TABLE) pos = skipLimits(body, pos + 1);
    else if (kind === GLOBAL) pos += 2;
    else if (kind === MEMORY) {
      if (memoryLimits >= 0) {
        throw new Error('rnnkit wasm: expected one memory import, got several');
      }
      memoryLimits = pos;
      pos = skipLimits(body, pos);
    } else throw new Error(`rnnkit wasm: expected an import kind from 0 to 3, got ${kind}`);
  }
  if (memoryLimits < 0 || (body[memoryLimits] & SHARED) === 0) {
    throw new Error('rnnkit wasm: expected a shared memory import to derive the plain module from');
  }
  const [, afterMinimum] = readU32(body, memoryLimits + 1);
  const end = skipLimits(body, memoryLimits);
  // Keep the minimum; drop the maximum.
  const out = new Uint8Array(body.length - (end - afterMinimum));
  out.set(body.subarray(0, afterMinimum));
  out[memoryLimits] = 0; // neither shared nor bounded
  out.set(body.subarray(end), afterMinimum);
  return out;
}

/**
 * The module `shared` (a shared-memory build) with its memory import made plain: not shared, no
 * maximum. Everything else is copied byte for byte.
 */
export function withUnsharedMemory(shared: Uint8Array): Uint8Array<ArrayBuffer> {
  let pos = 8; // magic and version
  while (pos < shared.length) {
    const id = shared[pos];
    const [size, start] = readU32(shared, pos + 1);
    const end = start + size;
    if (id === IMPORT_SECTION) {
      const body = unshareImports(shared.subarray(start, end));
      const header = [IMPORT_SECTION, ...writeU32(body.length)];
      const out = new Uint8Array(pos + header.length + body.length + (shared.length - end));
      out.set(shared.subarray(0, pos));
      out.set(header, pos);
      out.set(body, pos + header.length);
      out.set(shared.subarray(end), pos + header.length + body.length);
      return out;
    }
    pos = end;
  }
  throw new Error('rnnkit wasm: expected an import section to derive the plain module from');
}
