/** `rnnkit generate`'s vocabulary file (the generation itself is `generate` of @rnnkit/keras). */
import { readFile } from 'node:fs/promises';
import { KerasModelError } from '@rnnkit/keras';

/**
 * Reads a vocabulary file: a JSON array of characters, a JSON object from index to character
 * (`{"0": "\n", "1": " ", …}`), or plain text whose characters, in order, are the vocabulary.
 */
export async function readVocabulary(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KerasModelError(`--vocab ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    return [...text];
  }
  const chars = Array.isArray(json)
    ? json
    : json != null && typeof json === 'object'
      ? Object.entries(json)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([, c]) => c)
      : null;
  if (chars == null || !chars.every((c) => typeof c === 'string' && [...c].length === 1)) {
    throw new KerasModelError(
      `--vocab ${path}: expected a JSON list of single characters, an object from index to character, or plain text`,
    );
  }
  return chars as string[];
}
