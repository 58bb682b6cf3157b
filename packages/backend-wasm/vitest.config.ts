import { defineConfig } from 'vitest/config';

// Node 20 ships relaxed SIMD behind a flag (on by default from Node 22). Enable it in the test
// workers where needed, so the tests cover both module variants (plain SIMD and relaxed/FMA).
const relaxedProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0,
  32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);
const major = Number.parseInt(process.versions.node, 10);
const execArgv =
  !WebAssembly.validate(relaxedProbe) && major < 22 ? ['--experimental-wasm-relaxed-simd'] : [];

export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { execArgv } },
    testTimeout: 60_000,
  },
});
