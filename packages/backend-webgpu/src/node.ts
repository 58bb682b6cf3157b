/**
 * Node entry: provides `navigator.gpu` through Dawn (npm `webgpu`), then initializes the tfjs
 * `webgpu` backend with the fused kernels.
 *
 * Adapter choice on Linux: the system's Vulkan drivers first (a real GPU); when they give no
 * adapter, or there are none, SwiftShader's Vulkan driver from Debian's `chromium-common`
 * (a CPU implementation: slow, but exact enough to test with). `VK_ICD_FILENAMES` or
 * `VK_DRIVER_FILES`, when set, are respected as given.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { init as initBackend } from './index.js';
import { ADAPTER_HINT } from './engine/register_backend.js';

export * from './index.js';

/** Where Debian's `chromium-common` installs SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The adapter Dawn gave, as reported by {@link installNavigatorGpu}. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter such as SwiftShader. */
  software: boolean;
}

// Dawn crashes if the GPU object from create() is collected while in use: keep every one.
const gpus: GPU[] = [];
let installed: Promise<AdapterSummary | null> | null = null;

function summarize(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software:
      (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
      /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description}`),
  };
}

/** Vulkan driver manifests in the loader's default search paths (Linux). */
function systemVulkanDrivers(): string[] {
  const dataDirs = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  const dirs = [
    join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local/share'), 'vulkan/icd.d'),
    '/etc/vulkan/icd.d',
    '/etc/xdg/vulkan/icd.d',
    ...dataDirs.map((d) => join(d, 'vulkan/icd.d')),
  ];
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  });
}

async function requestAdapter(): Promise<GPUAdapter | null> {
  const gpu = create([]);
  gpus.push(gpu);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter != null) setNavigatorGpu(gpu);
  return adapter;
}

function setNavigatorGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', {
      value: {},
      configurable: true,
      writable: true,
    });
  }
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}

async function install(): Promise<AdapterSummary | null> {
  // WebGPU's constants and classes (GPUBufferUsage, GPUBuffer, …) as browser globals; tfjs
  // uses them unqualified.
  for (const [name, value] of Object.entries(globals as Record<string, unknown>)) {
    if (!(name in globalThis)) {
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    }
  }
  const existing = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (existing != null) {
    const adapter = await existing.requestAdapter();
    return adapter == null ? null : summarize(adapter);
  }
  const explicit = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  const linux = process.platform === 'linux';
  // Without any driver manifest the first try can only fail (noisily), so skip it.
  if (explicit != null || !linux || systemVulkanDrivers().length > 0) {
    const adapter = await requestAdapter();
    if (adapter != null || explicit != null || !linux) return adapter && summarize(adapter);
  }
  if (!existsSync(SWIFTSHADER_ICD)) return null;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const adapter = await requestAdapter();
  return adapter && summarize(adapter);
}

/**
 * Makes `navigator.gpu` (and WebGPU's global constants) available in Node through Dawn, choosing
 * a real GPU when the system's Vulkan drivers offer one and SwiftShader otherwise. Resolves to
 * the adapter found, or `null` when there is none. Runs once; later calls share the result.
 */
export function installNavigatorGpu(): Promise<AdapterSummary | null> {
  installed ??= install();
  return installed;
}

/**
 * Provides `navigator.gpu` (see {@link installNavigatorGpu}), then registers the fused kernels
 * and makes tfjs's `webgpu` backend active. Rejects, saying how to get an adapter, when none is
 * available.
 */
export async function init(): Promise<AdapterSummary> {
  const adapter = await installNavigatorGpu();
  if (adapter == null)
    throw new Error(`@rnnkit/backend-webgpu: no WebGPU adapter. ${ADAPTER_HINT}`);
  await initBackend();
  return adapter;
}
