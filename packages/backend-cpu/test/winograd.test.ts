/** Winograd's F(2×2, 3×3) convolution against a direct float64 convolution. */
import { convGeometry, mulberry32 } from '@rnnkit/core';
import { describe, expect, it } from 'vitest';
import { PANEL, panelsFor } from '../src/kernels/shared/gemm.js';
import { packWinogradKernel, winogradConv, winogradPlan } from '../src/kernels/shared/winograd.js';

function filled(rand: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * rand() - 1);
}

/** `init + conv(image, kernel)` in float64, channels last, TensorFlow padding. */
function directConv(
  image: Float32Array,
  h: number,
  w: number,
  channels: number,
  kernel: Float32Array,
  cols: number,
  padding: 'same' | 'valid',
  init: Float32Array,
  ld: number,
): { out: Float64Array; outH: number; outW: number } {
  const pad = padding === 'same' ? 1 : 0;
  const outH = padding === 'same' ? h : h - 2;
  const outW = padding === 'same' ? w : w - 2;
  const out = new Float64Array(outH * outW * ld);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let n = 0; n < cols; n++) {
        let sum = init[(oy * outW + ox) * ld + n];
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            const y = oy - pad + ky;
            const x = ox - pad + kx;
            if (y < 0 || y >= h || x < 0 || x >= w) continue;
            for (let c = 0; c < channels; c++) {
              sum +=
                image[(y * w + x) * channels + c] *
                kernel[((ky * 3 + kx) * channels + c) * cols + n];
            }
          }
        }
        out[(oy * outW + ox) * ld + n] = sum;
      }
    }
  }
  return { out, outH, outW };
}

describe('winogradConv', () => {
  const shapes: [number, number, number, number, 'same' | 'valid'][] = [
    [32, 32, 16, 64, 'same'],
    [5, 7, 3, 5, 'same'],
    [7, 4, 2, 7, 'valid'],
    [1, 1, 4, 3, 'same'],
    [3, 3, 1, 1, 'valid'],
    [6, 9, 9, 13, 'valid'],
  ];
  it.each(shapes)(
    '%i×%i×%i → %i columns, %s: adds the convolution onto the rows within float32 rounding',
    (h, w, channels, cols, padding) => {
      const rand = mulberry32(h * 1000 + w * 10 + channels);
      const geometry = convGeometry([h, w], [3, 3], [1, 1], [1, 1], padding);
      const plan = winogradPlan(geometry);
      expect(plan).not.toBeNull();
      if (plan == null) return;
      const image = filled(rand, h * w * channels);
      const kernel = filled(rand, 9 * channels * cols);
      const ld = PANEL * panelsFor(cols) + 2; // rows wider than the columns written
      const positions = plan.outH * plan.outW;
      const init = filled(rand, positions * ld);
      const expected = directConv(image, h, w, channels, kernel, cols, padding, init, ld);
      expect([plan.outH, plan.outW]).toEqual([expected.outH, expected.outW]);
      // The image at an offset inside a larger array, as a batch item's state is.
      const src = new Float32Array(7 + image.length);
      src.set(image, 7);
      const dst = Float32Array.from(init);
      winogradConv(
        plan,
        packWinogradKernel(kernel, channels, cols),
        channels,
        cols,
        src,
        7,
        dst,
        0,
        ld,
      );
      let worst = 0;
      for (let p = 0; p < positions; p++) {
        for (let n = 0; n < ld; n++) {
          const i = p * ld + n;
          // Columns past `cols` are not the convolution's: they must stay as they were.
          const e = n < cols ? expected.out[i] : init[i];
          worst = Math.max(worst, Math.abs(dst[i] - e) / (1 + Math.abs(e)));
        }
      }
      // Sums of up to 9·channels products of values in [−1, 1): float32 rounding of the
      // transformed kernel and of the 16 products, about 1e-7 of the magnitudes involved.
      expect(worst).toBeLessThan(2e-6);
    },
  );

  it('takes only 3×3 kernels with stride 1, dilation 1 and one depth slice', () => {
    expect(winogradPlan(convGeometry([8, 8], [5, 5], [1, 1], [1, 1], 'same'))).toBeNull();
    expect(winogradPlan(convGeometry([8, 8], [3, 3], [2, 2], [1, 1], 'same'))).toBeNull();
    expect(winogradPlan(convGeometry([8, 8], [3, 3], [1, 1], [2, 2], 'same'))).toBeNull();
    expect(
      winogradPlan(convGeometry([4, 8, 8], [3, 3, 3], [1, 1, 1], [1, 1, 1], 'same')),
    ).toBeNull();
    expect(winogradPlan(convGeometry([8], [3], [1], [1], 'same'))).toBeNull();
  });
});
