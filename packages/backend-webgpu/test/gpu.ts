/** Whether a WebGPU adapter exists here, and a `describe` that needs one. */
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { SWIFTSHADER_ICD, installNavigatorGpu } from '../src/node.js';

export * from './cases.js';

const adapter = await installNavigatorGpu();
const HOW =
  'No WebGPU adapter: on Debian/Ubuntu run `sudo scripts/install-webgpu-deps.sh` ' +
  '(SwiftShader Vulkan driver from chromium-common, and libvulkan1), or install a GPU Vulkan driver.';
// Where SwiftShader is installed, or on CI, a missing adapter is a failure, not a skip.
const required =
  process.env.CI != null ||
  process.env.RNNKIT_REQUIRE_WEBGPU === '1' ||
  existsSync(SWIFTSHADER_ICD);

/** `describe` that runs only with an adapter; without one it skips (or fails where required). */
export function describeGpu(name: string, fn: () => void): void {
  if (adapter != null) {
    describe(name, fn);
  } else if (required) {
    describe(name, () => {
      it('needs a WebGPU adapter', () => {
        throw new Error(HOW);
      });
    });
  } else {
    console.warn(`Skipping "${name}". ${HOW}`);
    describe.skip(name, fn);
  }
}
