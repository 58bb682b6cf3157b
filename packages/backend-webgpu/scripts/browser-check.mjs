// Runs the fused kernels in headless Debian Chromium (its own WebGPU, SwiftShader without a
// GPU) against the float64 Keras equations. Never downloads a browser: install Chromium with
// `scripts/install-webgpu-deps.sh --browser` (repo root) or set CHROMIUM=/path/to/chrome.
//
//   node scripts/browser-check.mjs
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(
    `No Chromium at ${executablePath}: run scripts/install-webgpu-deps.sh --browser ` +
      '(as root, from the repository root) or set CHROMIUM.',
  );
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'rnnkit-webgpu-browser-'));
let server;
let browser;
let code = 1;
try {
  await build({
    root: pkg,
    logLevel: 'warn',
    configFile: false,
    build: {
      outDir: out,
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(pkg, 'test/browser/entry.ts'), formats: ['es'], fileName: 'entry' },
    },
  });
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html' };
  server = createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script type="module" src="/entry.js"></script>');
      return;
    }
    const file = join(out, (req.url ?? '').split('?')[0]);
    if (!file.startsWith(out) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;

  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-vulkan=swiftshader',
      '--use-webgpu-adapter=swiftshader',
      '--disable-vulkan-surface',
      '--no-sandbox',
    ],
  });
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[page] ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => globalThis.__rnnkitResult != null, null, { timeout: 120_000 });
  const result = await page.evaluate(() => globalThis.__rnnkitResult);
  if (result.error != null) {
    console.error(`browser check failed: ${result.error}`);
  } else {
    console.log(`Chromium ${browser.version()}, adapter: ${result.adapter}`);
    for (const r of result.results) {
      console.log(
        `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: max |error| ${r.maxError.toExponential(1)} ` +
          `(atol = rtol = 1e-5), ${r.dispatches} dispatches`,
      );
    }
    code = result.results.every((r) => r.ok) ? 0 : 1;
  }
} finally {
  await browser?.close();
  server?.close();
  rmSync(out, { recursive: true, force: true });
}
process.exit(code);
