import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation (which SharedArrayBuffer, and so wasm threads, need) for URLs that ask
 * for threads (`?threads=N`); other pages stay unisolated, where tfjs-backend-wasm runs its
 * single-threaded build and rnnkit works on its memory in place.
 */
function isolateThreadedPages(): Plugin {
  const isolate = (
    req: { url?: string },
    res: { setHeader(name: string, value: string): void },
    next: () => void,
  ): void => {
    if (/[?&]threads=/.test(req.url ?? '')) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    next();
  };
  return {
    name: 'rnnkit-web:isolate-threaded-pages',
    configureServer: (server) => void server.middlewares.use(isolate),
    configurePreviewServer: (server) => void server.middlewares.use(isolate),
  };
}

export default defineConfig({
  plugins: [isolateThreadedPages()],
  // Relative asset URLs: the built page works from any path (a file server, a subfolder).
  base: './',
  resolve: {
    // One tfjs-core instance: the backends, the layers and tfjs-layers share its registry.
    dedupe: ['@tensorflow/tfjs-core'],
  },
  build: {
    target: 'es2022',
    // h5wasm (the HDF5 reader, loaded only when a model file is read) is one 4 MB module.
    chunkSizeWarningLimit: 5000,
    // Two pages: the main one, and the conformance kit on every backend (its own entry, so the
    // main page never loads the cases).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        conformance: fileURLToPath(new URL('./conformance.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
