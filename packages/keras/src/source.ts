/**
 * Model sources: a file path (Node), a URL (http(s) via fetch, or file:), or the bytes
 * themselves. Each is read with a size limit; tfjs weight shards are found next to model.json.
 */
import { fail, messageOf } from './errors.js';
import type { ShardLoader } from './formats/tfjs.js';

/** Where a model comes from. */
export type ModelSource = string | URL | ArrayBuffer | Uint8Array;

/** A source read into memory. */
export interface ReadSource {
  bytes: Uint8Array;
  /** File name or URL, for messages. */
  label: string;
  /** Loads a tfjs weight shard next to the model, when the source has a location. */
  shardLoader: ShardLoader | null;
}

function isUrlString(s: string): boolean {
  return /^(https?|file):\/\//i.test(s);
}

async function readFileBounded(path: string, maxBytes: number, label: string): Promise<Uint8Array> {
  const fs = await import('node:fs/promises');
  let size: number;
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) fail(`${label}: not a file`);
    size = stat.size;
  } catch (e) {
    if (e instanceof Error && e.name === 'KerasModelError') throw e;
    fail(`${label}: cannot read the file (${messageOf(e)})`);
  }
  if (size > maxBytes)
    fail(`${label}: the file is ${size} bytes, more than the limit of ${maxBytes}`);
  const data = await fs.readFile(path);
  if (data.length > maxBytes)
    fail(`${label}: the file is ${data.length} bytes, more than the limit of ${maxBytes}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** What bounds reading a source. */
export interface SourceLimits {
  /** Largest number of bytes read from the source. */
  maxBytes: number;
  /** Time allowed for one download, request to last byte. */
  fetchTimeoutMs: number;
}

async function fetchBounded(
  url: URL,
  maxBytes: number,
  timeoutMs: number,
  label: string,
): Promise<Uint8Array> {
  // One deadline over the headers and the whole body: a server that stalls mid-body is cut off.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const timedOut = (): never =>
    fail(
      `${label}: no complete response within ${timeoutMs} ms (the fetchTimeoutMs option raises it)`,
    );
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) timedOut();
      fail(`${label}: fetch failed (${messageOf(e)})`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      fail(`${label}: HTTP ${response.status} ${response.statusText}`);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      fail(`${label}: the response declares ${declared} bytes, more than the limit of ${maxBytes}`);
    }
    if (response.body == null) return new Uint8Array(await response.arrayBuffer());
    const reader = response.body.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (abort.signal.aborted) timedOut();
        fail(`${label}: the download broke off after ${total} bytes (${messageOf(e)})`);
      }
      if (chunk.done) break;
      total += chunk.value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        fail(`${label}: the response is larger than the limit of ${maxBytes} bytes`);
      }
      parts.push(chunk.value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

function shardSizeCheck(
  label: string,
  path: string,
  data: Uint8Array,
  maxBytes: number,
): Uint8Array {
  if (data.length > maxBytes)
    fail(
      `${label}: weight shard '${path}' is ${data.length} bytes; at most ${maxBytes} are needed`,
    );
  return data;
}

/**
 * Reads a source into bytes, with a loader for files next to it. `bytesName` names bytes given
 * directly in messages (paths and URLs name themselves).
 */
export async function readSource(
  source: ModelSource,
  limits: SourceLimits,
  shards?: Record<string, Uint8Array | ArrayBuffer>,
  bytesName = 'model bytes',
): Promise<ReadSource> {
  const { maxBytes, fetchTimeoutMs } = limits;
  const given =
    shards == null
      ? null
      : (path: string, max: number) => {
          const data = Object.hasOwn(shards, path) ? shards[path] : undefined;
          if (data == null)
            fail(
              `model.json: weight shard '${path}' was not given (weightShards has ${Object.keys(shards).join(', ') || 'none'})`,
            );
          const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
          return Promise.resolve(shardSizeCheck('model.json', path, bytes, max));
        };
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    if (bytes.length > maxBytes)
      fail(`${bytesName}: ${bytes.length} bytes, more than the limit of ${maxBytes}`);
    return { bytes, label: bytesName, shardLoader: given };
  }
  if (typeof source === 'string' && !isUrlString(source)) {
    const path = await import('node:path');
    const full = path.resolve(source);
    const label = path.basename(full);
    return {
      bytes: await readFileBounded(full, maxBytes, label),
      label,
      shardLoader:
        given ??
        (async (p, max) =>
          shardSizeCheck(
            label,
            p,
            await readFileBounded(
              path.join(path.dirname(full), p),
              max,
              `${label}: weight shard '${p}'`,
            ),
            max,
          )),
    };
  }
  let url: URL;
  try {
    url = source instanceof URL ? source : new URL(source);
  } catch {
    fail(`model source: expected a file path, URL or bytes, got ${String(source)}`);
  }
  if (url.protocol === 'file:') {
    const { fileURLToPath } = await import('node:url');
    return readSource(fileURLToPath(url), limits, shards);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail(`model source: unsupported URL scheme '${url.protocol}'`);
  const label = url.href;
  return {
    bytes: await fetchBounded(url, maxBytes, fetchTimeoutMs, label),
    label,
    shardLoader:
      given ??
      (async (p, max) => {
        const shardUrl = new URL(p, url);
        if (shardUrl.origin !== url.origin)
          fail(`${label}: weight shard '${p}' is on another origin`);
        return shardSizeCheck(
          label,
          p,
          await fetchBounded(shardUrl, max, fetchTimeoutMs, `${label}: weight shard '${p}'`),
          max,
        );
      }),
  };
}
