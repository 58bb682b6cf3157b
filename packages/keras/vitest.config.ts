import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The loader runs on the backend the application starts; the tests' application is
    // rnnkit's cpu backend unless a test starts another (test/setup_backend.ts).
    setupFiles: ['test/setup_backend.ts'],
  },
});
