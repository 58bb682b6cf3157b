// Rewrites the generated list of supported Keras classes in the repository's README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { withSupportedClasses } from '../dist/supported.js';

const path = new URL('../../../README.md', import.meta.url);
writeFileSync(path, withSupportedClasses(readFileSync(path, 'utf8')));
console.log('README.md: supported Keras classes written');
