/**
 * The headless-Chromium check (scripts/browser-check.mjs) as a test: the fused kernels on
 * Chromium's own WebGPU. Skipped, saying how to enable it, where Chromium is not installed
 * (a failure on CI).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const script = fileURLToPath(new URL('../scripts/browser-check.mjs', import.meta.url));

// On CI (where scripts/install-webgpu-deps.sh --browser installs it) a missing Chromium fails.
const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());
const HOW = `no ${chromium}: install it with \`sudo scripts/install-webgpu-deps.sh --browser\` or set CHROMIUM`;
if (!existsSync(chromium) && !inCi) console.warn(`Skipping the headless-Chromium check: ${HOW}.`);

describe.skipIf(!existsSync(chromium) && !inCi)('in headless Chromium', () => {
  it('finds Chromium', () => {
    expect(existsSync(chromium), HOW).toBe(true);
  });

  it('the fused kernels match the float64 Keras equations on both paths', async () => {
    const { code, stdout, stderr } = await new Promise<{
      code: number;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(process.execPath, [script], { timeout: 180_000 }, (error, stdout, stderr) =>
        resolve({ code: error == null ? 0 : Number(error.code ?? 1), stdout, stderr }),
      );
    });
    expect(stdout, stderr).toMatch(/adapter: /);
    // Four families on two paths, and three ConvLSTM fixtures.
    expect(stdout.match(/^ok {3}/gm)?.length, stdout).toBe(11);
    expect(code, stdout + stderr).toBe(0);
  });
});
