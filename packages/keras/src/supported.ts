/**
 * The README's list of what loads, made from the registries so that it cannot drift from the
 * code: `pnpm --filter @rnnkit/keras readme` writes it, and a test checks it.
 */
import { SUPPORTED_LAYERS } from './layers/registry.js';
import { SUPPORTED_OPERATIONS } from './layers/ops.js';

/** Markers around the generated block in the repository's README.md. */
export const README_MARKERS = {
  start: '<!-- supported-keras-classes:start (generated: pnpm --filter @rnnkit/keras readme) -->',
  end: '<!-- supported-keras-classes:end -->',
};

/** The generated Markdown block, markers included. */
export function supportedClassesMarkdown(): string {
  const list = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');
  return [
    README_MARKERS.start,
    '',
    `**Layers** (${SUPPORTED_LAYERS.length}): ${list(SUPPORTED_LAYERS)}.`,
    '',
    `**Operations** saved as graph nodes by Keras 3 functional models (${SUPPORTED_OPERATIONS.length}): ${list(SUPPORTED_OPERATIONS)}.`,
    README_MARKERS.end,
  ].join('\n');
}

/** `readme` with the generated block replaced; throws when the markers are missing. */
export function withSupportedClasses(readme: string): string {
  const a = readme.indexOf(README_MARKERS.start);
  const b = readme.indexOf(README_MARKERS.end);
  if (a < 0 || b < a) throw new Error('README.md has no supported-keras-classes markers');
  return (
    readme.slice(0, a) + supportedClassesMarkdown() + readme.slice(b + README_MARKERS.end.length)
  );
}
