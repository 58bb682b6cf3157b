/**
 * The README's lists cannot drift: the supported classes are the registries', and every Keras
 * version of the shared real models is among the versions it says were tried.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { supportedClassesMarkdown } from '../src/supported.js';
import { REPO_ROOT, sharedFixtures, wildFixtures } from './helpers.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('lists the supported Keras classes as the registries have them', () => {
    // Regenerate with `pnpm --filter @rnnkit/keras readme` after adding a layer.
    expect(readme).toContain(supportedClassesMarkdown());
  });

  it('names every Keras version that wrote a shared real model among the versions tried', () => {
    const line = readme.split('\n\n').find((p) => p.startsWith('Keras versions tried:'));
    expect(line, 'a "Keras versions tried:" paragraph').toBeDefined();
    const versions = new Set(
      [...sharedFixtures(), ...wildFixtures()].map((f) => f.expected.keras_version),
    );
    expect(versions.size).toBeGreaterThan(10);
    for (const v of versions) expect(line, v).toContain(v);
  });
});
