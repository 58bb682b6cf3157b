import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

describe('pnpm parity', () => {
  it('runs the cases on cpu and the reference kernels, and exits 0', () => {
    const r = spawnSync(
      process.execPath,
      [MAIN, '--backend', 'cpu', '--filter', '^(seed|lstm_mask)', '--reference'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cpu: \d+\/\d+ passed/);
    const [, passed, total] = r.stdout.match(/cpu: (\d+)\/(\d+) passed/)!;
    expect(passed).toBe(total);
    expect(r.stdout).toMatch(/reference: (\d+)\/\1 passed/);
  });

  it('runs wasm on 2 threads as a column of its own', () => {
    const r = spawnSync(
      process.execPath,
      [MAIN, '--backend', 'wasm,wasm-2t', '--filter', '^(wide_|seed)'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const [, passed, total] = r.stdout.match(/wasm-2t: (\d+)\/(\d+) passed/)!;
    expect(passed).toBe(total);
    expect(Number(total)).toBeGreaterThanOrEqual(7);
  });

  it('cpu on 2 threads, wasm and wasm on 2 threads agree with cpu on every case', () => {
    const r = spawnSync(process.execPath, [MAIN, '--backend', 'cpu,cpu-2t,wasm,wasm-2t'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // tfjs-backend-cpu's Node banner stays out of the table.
    expect(r.stdout + r.stderr).not.toContain('looks like you are running TensorFlow.js');
    // Threads split the cpu products by columns, each computed as on one thread: no difference.
    const threaded = /^cpu-2t vs cpu: max \|Δ\| (\S+) over (\d+) cases/m.exec(r.stdout);
    expect(threaded, r.stdout).not.toBeNull();
    expect(Number(threaded![1])).toBe(0);
    expect(r.stdout).toMatch(/^cpu-2t: (\d+)\/\1 passed/m);
    for (const label of ['wasm', 'wasm-2t']) {
      const m = new RegExp(`^${label} vs cpu: max \\|Δ\\| (\\S+) over (\\d+) cases`, 'm').exec(
        r.stdout,
      );
      expect(m, r.stdout).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(1e-5);
      expect(Number(m![2])).toBeGreaterThanOrEqual(126);
    }
  }, 120_000);

  it('exits 1 and says why when a named backend is unknown', () => {
    const r = spawnSync(process.execPath, [MAIN, '--backend', 'tpu', '--filter', 'seed'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('backend: expected one of cpu, wasm, webgpu, got "tpu"');
  });
});
