/**
 * The headless-Chromium check (scripts/browser-check.mjs) as a test: the fused kernels on
 * Chromium's own WebGPU. Skipped, saying how to enable it, where Chromium is not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const script = fileURLToPath(new URL('../scripts/browser-check.mjs', import.meta.url));

if (!existsSync(chromium)) {
  console.warn(
    `Skipping the headless-Chromium check: no ${chromium}. ` +
      'Install it with `sudo scripts/install-webgpu-deps.sh --browser` or set CHROMIUM.',
  );
}

describe.skipIf(!existsSync(chromium))('in headless Chromium', () => {
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
    expect(stdout.match(/^ok {3}/gm)?.length, stdout).toBe(8);
    expect(code, stdout + stderr).toBe(0);
  });
});
