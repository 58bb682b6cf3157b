/**
 * Compiled pipelines, cached per device and shader key. Layouts are explicit so a binding the
 * shader leaves unused is still accepted, and so the per-step path can use a dynamic uniform
 * offset (one bind group for every step).
 */
import {
  BINDING,
  PER_STEP_PARAMS_BYTES,
  isTwoPhase,
  perStepShader,
  storageBindings,
  workgroupShader,
  type ShaderConfig,
} from './wgsl.js';
import type { RecurrencePlan } from './plan.js';

/** What a kernel call needs to record its dispatches. */
export interface RecurrencePipelines {
  layout: GPUBindGroupLayout;
  /** Set once the driver reports the shader or pipeline invalid (it reports asynchronously). */
  error?: string;
  /** Per-step two-phase GRU: the `gates` entry point, run before `main` each step. */
  gates?: GPUComputePipeline;
  main: GPUComputePipeline;
}

const cache = new WeakMap<GPUDevice, Map<string, { error?: string }>>();

/** Number of distinct pipelines compiled on `device` (for tests of the cache). */
export function pipelineCacheSize(device: GPUDevice): number {
  return cache.get(device)?.size ?? 0;
}

/** Pipelines for `config` laid out as `plan` says, compiled on first use. */
export function getPipelines(
  device: GPUDevice,
  config: ShaderConfig,
  plan: RecurrencePlan,
): RecurrencePipelines {
  const key = JSON.stringify([config, plan.path, plan.workgroupSize, plan.batchTile]);
  return cachedPipelines(device, key, `${config.family} ${plan.path}`, () =>
    compile(device, config, plan),
  );
}

/**
 * The pipelines cached on `device` under `key`, made by `compile` on first use. Compilation
 * errors arrive asynchronously: they are logged, and later calls with the key throw them
 * (`what` names the shader in the message).
 */
export function cachedPipelines<P extends { error?: string }>(
  device: GPUDevice,
  key: string,
  what: string,
  compile: () => P,
): P {
  let byKey = cache.get(device);
  if (byKey == null) cache.set(device, (byKey = new Map()));
  const hit = byKey.get(key) as P | undefined;
  if (hit?.error != null) throw new Error(hit.error);
  if (hit != null) return hit;

  device.pushErrorScope('validation');
  let pipelines: P;
  try {
    pipelines = compile();
  } finally {
    void device.popErrorScope().then((e) => {
      if (e == null) return;
      const entry = byKey.get(key);
      const message = `rnnkit webgpu kernels: ${what} shader failed: ${e.message}`;
      if (entry != null) entry.error = message;
      console.error(message);
    });
  }
  byKey.set(key, pipelines);
  return pipelines;
}

function compile(
  device: GPUDevice,
  config: ShaderConfig,
  plan: RecurrencePlan,
): RecurrencePipelines {
  const perStep = plan.path === 'per-step';
  const entries: GPUBindGroupLayoutEntry[] = storageBindings(config, plan.path).map((b) => ({
    binding: b.binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: b.write ? 'storage' : 'read-only-storage' },
  }));
  entries.push({
    binding: BINDING.params,
    visibility: GPUShaderStage.COMPUTE,
    buffer: {
      type: 'uniform',
      hasDynamicOffset: perStep,
      minBindingSize: perStep ? PER_STEP_PARAMS_BYTES : 16,
    },
  });
  const layout = device.createBindGroupLayout({ label: 'rnnkit-recurrence', entries });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const code = perStep
    ? perStepShader(config)
    : workgroupShader(config, plan.workgroupSize, plan.batchTile);
  const module = device.createShaderModule({ label: `rnnkit-${config.family}`, code });
  const make = (entryPoint: string) =>
    device.createComputePipeline({
      label: `rnnkit-${config.family}-${plan.path}-${entryPoint}`,
      layout: pipelineLayout,
      compute: { module, entryPoint },
    });
  return {
    layout,
    main: make('main'),
    gates: perStep && isTwoPhase(config) ? make('gates') : undefined,
  };
}
