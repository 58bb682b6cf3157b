/**
 * The conformance kit's case files, bundled as one chunk that the conformance page imports on
 * demand (the main page never loads it). The kit's own `loadCases` reads the folder with
 * `node:fs`, which browsers lack.
 */
import type { ConformanceCase } from '@rnnkit/conformance/browser';

const files = import.meta.glob<ConformanceCase>('../../../packages/conformance/cases/*.json', {
  eager: true,
  import: 'default',
});

/** Every case, sorted by name; a case whose name differs from its file name is an error. */
export function bundledCases(): ConformanceCase[] {
  return Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, c]) => {
      const file = path.slice(path.lastIndexOf('/') + 1);
      if (`${c.name}.json` !== file) {
        throw new Error(`case ${file}: name ${JSON.stringify(c.name)} does not match the file`);
      }
      return c;
    });
}
