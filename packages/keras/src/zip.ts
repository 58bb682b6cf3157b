/**
 * Bounded reading of `.keras` zip archives with fflate. The central directory's declared sizes
 * are checked against the limits before anything is inflated, and inflation stops as soon as an
 * entry produces more bytes than it declared, so a zip bomb costs bounded memory and time.
 */
import { Unzip, UnzipInflate, unzipSync, type UnzipFile } from 'fflate';
import { fail, messageOf } from './errors.js';
import { MAX_DEFLATE_RATIO } from './limits.js';

/** One wanted entry and the most bytes it may inflate to. */
export interface ZipWant {
  name: string;
  maxBytes: number;
}

/** Pieces the archive is fed in: bounds what one push can inflate to (about 1032× this). */
const CHUNK = 16 * 1024;

interface DirEntry {
  size: number;
  originalSize: number;
  compression: number;
}

/** Reads the central directory without inflating anything. */
function listEntries(bytes: Uint8Array, label: string, maxEntries: number): Map<string, DirEntry> {
  const entries = new Map<string, DirEntry>();
  let count = 0;
  try {
    unzipSync(bytes, {
      filter(file) {
        count += 1;
        if (count > maxEntries) throw new Error(`more than ${maxEntries} entries`);
        if (entries.has(file.name)) throw new Error(`entry '${file.name}' appears twice`);
        entries.set(file.name, {
          size: file.size,
          originalSize: file.originalSize,
          compression: file.compression,
        });
        return false;
      },
    });
  } catch (e) {
    fail(`${label}: not a readable zip archive (${messageOf(e)})`);
  }
  return entries;
}

/**
 * Extracts the wanted entries of a zip archive. Throws a `KerasModelError` when an entry is
 * missing, declares more than its limit, is not stored or deflated, or inflates to a size other
 * than the one declared.
 */
export function readZipEntries(
  bytes: Uint8Array,
  wants: ZipWant[],
  label: string,
  maxEntries: number,
): Map<string, Uint8Array> {
  const entries = listEntries(bytes, label, maxEntries);
  const limits = new Map<string, number>();
  for (const want of wants) {
    const entry = entries.get(want.name);
    if (entry == null) {
      const names = [...entries.keys()].slice(0, 10).map((n) => `'${n}'`);
      fail(`${label}: the archive has no '${want.name}' (entries: ${names.join(', ') || 'none'})`);
    }
    if (entry.compression !== 0 && entry.compression !== 8) {
      fail(
        `${label}: '${want.name}' uses zip compression method ${entry.compression}; expected stored (0) or deflate (8)`,
      );
    }
    if (!(entry.originalSize <= want.maxBytes)) {
      fail(
        `${label}: '${want.name}' declares ${entry.originalSize} bytes uncompressed, more than the limit of ${want.maxBytes}`,
      );
    }
    if (entry.size > bytes.length) {
      fail(
        `${label}: '${want.name}' declares ${entry.size} compressed bytes in a ${bytes.length}-byte file`,
      );
    }
    const ratioLimit = entry.compression === 0 ? 1 : MAX_DEFLATE_RATIO;
    if (entry.originalSize > Math.max(entry.size, 1) * ratioLimit + 1024) {
      fail(
        `${label}: '${want.name}' declares ${entry.originalSize} bytes from ${entry.size} compressed bytes, which is impossible`,
      );
    }
    limits.set(want.name, entry.originalSize);
  }
  return inflateWanted(bytes, limits, label);
}

function inflateWanted(
  bytes: Uint8Array,
  limits: Map<string, number>,
  label: string,
): Map<string, Uint8Array> {
  const chunks = new Map<string, Uint8Array[]>();
  const sizes = new Map<string, number>();
  const done = new Set<string>();
  let failure: string | null = null;
  const unzip = new Unzip((file: UnzipFile) => {
    const limit = limits.get(file.name);
    if (limit == null || chunks.has(file.name)) return;
    const parts: Uint8Array[] = [];
    chunks.set(file.name, parts);
    sizes.set(file.name, 0);
    file.ondata = (err, data, final) => {
      if (failure != null) return;
      if (err != null) {
        failure = `'${file.name}' is corrupt (${err.message})`;
        return;
      }
      const total = (sizes.get(file.name) ?? 0) + data.length;
      sizes.set(file.name, total);
      if (total > limit) {
        failure = `'${file.name}' inflates to more than the ${limit} bytes it declares`;
        file.terminate();
        return;
      }
      parts.push(data);
      if (final) done.add(file.name);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let offset = 0; offset < bytes.length && failure == null; offset += CHUNK) {
      const end = Math.min(offset + CHUNK, bytes.length);
      unzip.push(bytes.subarray(offset, end), end === bytes.length);
      if (done.size === limits.size) break;
    }
  } catch (e) {
    failure ??= `the archive is corrupt (${messageOf(e)})`;
  }
  if (failure != null) fail(`${label}: ${failure}`);
  const out = new Map<string, Uint8Array>();
  for (const [name, limit] of limits) {
    const parts = chunks.get(name);
    if (parts == null || !done.has(name)) fail(`${label}: '${name}' is truncated or unreadable`);
    const total = sizes.get(name) ?? 0;
    if (total !== limit)
      fail(`${label}: '${name}' inflates to ${total} bytes but declares ${limit}`);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    out.set(name, joined);
  }
  return out;
}
