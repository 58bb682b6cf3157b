import { defineConfig } from 'vitest/config';

// SwiftShader runs WebGPU on the CPU: one test file at a time, and generous timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
