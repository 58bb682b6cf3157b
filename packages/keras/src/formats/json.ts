/** Bounded JSON decoding for configs read from files. */
import { fail, messageOf } from '../errors.js';

/** Decodes UTF-8 JSON of at most `maxBytes` bytes. */
export function parseJsonBytes(bytes: Uint8Array, maxBytes: number, what: string): unknown {
  if (bytes.length > maxBytes)
    fail(`${what} is ${bytes.length} bytes, more than the limit of ${maxBytes}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(`${what} is not valid UTF-8 text`);
  }
  return parseJsonText(text, maxBytes, what);
}

/** Parses JSON text of at most `maxBytes` characters (Keras writes NaN/Infinity bare; they become null). */
export function parseJsonText(text: string, maxBytes: number, what: string): unknown {
  if (text.length > maxBytes)
    fail(`${what} is ${text.length} characters, more than the limit of ${maxBytes}`);
  return checkedDepth(parse(text, what), what);
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // Python's json writes NaN and Infinity, which JSON.parse rejects.
    if (/\b(NaN|-?Infinity)\b/.test(text)) {
      try {
        return JSON.parse(text.replace(/(?<=[:,[]\s*)(NaN|-?Infinity)(?=\s*[,\]}])/g, 'null'));
      } catch {
        // Fall through to the original error.
      }
    }
    fail(`${what} is not valid JSON (${messageOf(e)})`);
  }
}

/**
 * Deepest nesting of arrays and objects accepted in a config. Keras writes a few dozen levels
 * (nested models, wrappers, node arguments); thousands would overflow the stack of every
 * recursive reader after this one, the error messages' included.
 */
export const MAX_JSON_DEPTH = 100;

/** `value`, after checking without recursion that it nests at most {@link MAX_JSON_DEPTH} deep. */
function checkedDepth(value: unknown, what: string): unknown {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v == null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH)
      fail(`${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return value;
}
