/** Loads the JSON cases shipped with this package. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceCase } from './schema.js';

/** The folder holding the case files. */
export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'cases');

/** All cases, sorted by name; `filter` (a RegExp or substring) picks some. */
export function loadCases(filter?: RegExp | string, dir = CASES_DIR): ConformanceCase[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const cases = files.map((f) => {
    const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ConformanceCase;
    if (`${c.name}.json` !== f)
      throw new Error(`case ${f}: name ${JSON.stringify(c.name)} does not match the file`);
    return c;
  });
  if (filter == null) return cases;
  const re = typeof filter === 'string' ? new RegExp(filter) : filter;
  return cases.filter((c) => re.test(c.name));
}
