import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatArray } from '../src/format.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

/** Distance in float32 units in the last place. */
function ulps(a: number, b: number): number {
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(i[0] - i[1]);
}

describe('numpy-style printing', () => {
  it('matches what Keras printed in the seed tutorial', () => {
    // Arrays and their printout as they appear in the tutorial.
    expect(formatArray([-0.00263056, 0.20051427, -0.22501363], [1, 3])).toBe(
      '[[-0.00263056  0.20051427 -0.22501363]]',
    );
    expect(formatArray([-0.04346419, 0.44769213, -0.2644241], [1, 3])).toBe(
      '[[-0.04346419  0.44769213 -0.2644241 ]]',
    );
    expect(
      formatArray([0.6303139, 0.6303139, 0.6303139, 0.70387346, 0.70387346, 0.70387346], [1, 6]),
    ).toBe('[[0.6303139  0.6303139  0.6303139  0.70387346 0.70387346 0.70387346]]');
  });
});

describe('pnpm demo', () => {
  it.each([[], ['--backend', 'wasm'], ['--backend', 'webgpu']])(
    'prints the seed contracts and Keras numbers (%s)',
    (...args: string[]) => {
      const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout;
      expect(out).toContain(`backend: ${args[1] ?? 'cpu'}`);
      // tfjs-backend-cpu's Node banner stays out of the demo's output.
      expect(`${r.stdout}${r.stderr}`).not.toContain('looks like you are running TensorFlow.js');
      const line = (label: string) => out.split('\n').filter((l) => l.startsWith(`${label} :`));
      expect(line('hidden state')[0]).toMatch(/shape: \(1, 3\)$/);
      expect(line('last cell state')[0]).toMatch(/shape: \(1, 3\)$/);
      const hidden = line('hidden states');
      expect(hidden[0]).toMatch(/shape: \(1, 6\)$/);
      const values = [...hidden[0].matchAll(/\d\.\d+/g)].map((m) => Number(m[0]));
      values.slice(0, 3).forEach((v) => expect(ulps(v, 0.6303139)).toBeLessThanOrEqual(1));
      values.slice(3, 6).forEach((v) => expect(ulps(v, 0.70387346)).toBeLessThanOrEqual(1));
      expect(out).toContain('shape: (1, 4, 6)');
      const [h, lastH] = [line('hidden state')[0], line('last hidden state')[0]].map(
        (l) => l.split(' : ')[1],
      );
      expect(h).toBe(lastH);
    },
  );
});
