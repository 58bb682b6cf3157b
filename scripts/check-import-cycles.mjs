#!/usr/bin/env node
// @ts-check
/**
 * Fails when the source modules of any package or app import one another in a cycle (relative
 * imports, type-only ones included: a reader follows those too). Cycles make modules hard to
 * read in order and to move; each one found is printed as a path.
 *
 * Usage: node scripts/check-import-cycles.mjs
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(ts|mts|js|mjs)$/;

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Resolves a relative specifier the way TypeScript's NodeNext resolution does here. */
function resolveImport(/** @type {string} */ from, /** @type {string} */ spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** @param {string} file @returns {string[]} */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g),
    ...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g),
  ].map((m) => m[1]);
  return specs.flatMap((s) => resolveImport(file, s) ?? []);
}

/** The cycles among `files`, each as a list of paths. @param {string[]} files */
export function findCycles(files) {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  /** @type {Map<string, 'open' | 'done'>} */
  const state = new Map();
  /** @type {string[][]} */
  const cycles = [];
  /** @param {string} f @param {string[]} path */
  const visit = (f, path) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f]);
      return;
    }
    state.set(f, 'open');
    for (const next of graph.get(f) ?? []) if (graph.has(next)) visit(next, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  return cycles;
}

const dirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name, 'src')),
);
let failed = 0;
for (const dir of dirs.filter((d) => existsSync(d))) {
  for (const cycle of findCycles(sources(dir))) {
    failed += 1;
    console.error(`import cycle: ${cycle.map((p) => relative(root, p)).join(' → ')}`);
  }
}
if (failed > 0) {
  console.error(
    `${failed} import cycle(s); break each by moving what both sides need into a module of its own`,
  );
  process.exit(1);
}
console.log(`no import cycles in ${dirs.filter((d) => existsSync(d)).length} source trees`);
