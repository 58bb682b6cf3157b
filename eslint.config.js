import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Package boundaries. Apps depend on packages, never the reverse; core knows no backend; a
// backend knows no other backend; the Keras loader runs on whatever backend the application
// started, so its source imports none (its tests may). Checked for static and dynamic imports.
const BACKEND_NAMES = ['cpu', 'wasm', 'webgpu'];
const APPS = ['bench', 'demo', 'parity', 'web'];

/** An import group: package names (and their subpaths), and relative paths into the folder. */
const group = (names, folders, message) => ({
  names: [...names, ...names.map((n) => `${n}/*`), ...folders.map((f) => `**/${f}/**`)],
  packages: names,
  folders,
  message,
});
const backendsGroup = (names, message) =>
  group(
    names.map((n) => `@rnnkit/backend-${n}`),
    names.map((n) => `backend-${n}`),
    message,
  );
const appsGroup = group(
  APPS.map((a) => `@rnnkit/${a}`),
  ['apps'],
  'a package may not import an app: apps depend on packages, not the reverse.',
);
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => `\\${c}`);

/** `no-restricted-imports` and, for `import()`, `no-restricted-syntax` over `groups`. */
const restrict = (files, groups) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: groups.map((g) => ({ group: g.names, message: g.message })) },
    ],
    'no-restricted-syntax': [
      'error',
      ...groups.map((g) => ({
        selector: `ImportExpression[source.value=/^(${g.packages.map(escape).join('|')})(\\/.*)?$|(^|\\/)(${g.folders.map(escape).join('|')})\\//]`,
        message: g.message,
      })),
    ],
  },
});

const anyBackend = (message) => [
  backendsGroup(BACKEND_NAMES, message),
  group(['@rnnkit/backends', '@rnnkit/cli'], ['backends', 'cli'], message),
];
const CODE = ['ts', 'js', 'mjs'].map((ext) => `**/*.${ext}`);
const under = (folder) => CODE.map((c) => `${folder}/${c}`);

const boundaries = [
  restrict(under('packages'), [appsGroup]),
  restrict(under('packages/core'), [
    appsGroup,
    ...anyBackend('@rnnkit/core may not import a backend: backends build on core.'),
    group(['@rnnkit/keras'], ['keras'], '@rnnkit/core may not import the Keras loader.'),
  ]),
  ...BACKEND_NAMES.map((name) =>
    restrict(under(`packages/backend-${name}`), [
      appsGroup,
      backendsGroup(
        BACKEND_NAMES.filter((n) => n !== name),
        `@rnnkit/backend-${name} may not import another backend: each installs alone.`,
      ),
      group(
        ['@rnnkit/backends', '@rnnkit/keras', '@rnnkit/cli'],
        ['backends', 'keras', 'cli'],
        `@rnnkit/backend-${name} may not import the backend list, the loader or the CLI.`,
      ),
    ]),
  ),
  restrict(under('packages/keras/src'), [
    appsGroup,
    ...anyBackend(
      '@rnnkit/keras runs on the backend the application started: its source imports no backend.',
    ),
  ]),
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '**/*.d.ts',
      '**/*.generated.ts',
      'artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  ...boundaries,
);
