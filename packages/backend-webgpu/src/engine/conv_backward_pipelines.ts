/** The ConvLSTM backward's compiled pipelines, cached per device and shader configuration. */
import type { ConvShaderConfig } from './conv_validate.js';
import {
  CONV_BACK_BINDING,
  CONV_BACK_ENTRIES,
  CONV_BACK_MODULE,
  convBackBindings,
  convBackwardProductsShader,
  convBackwardStepsShader,
  type ConvBackEntry,
} from './conv_wgsl_backward.js';
import { cachedPipelines } from './pipelines.js';
import { PER_STEP_PARAMS_BYTES } from './wgsl.js';

/** A compute pipeline and its bind group layout. */
export interface PipelineAndLayout {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** What a ConvLSTM backward call needs to record its dispatches: one pipeline per entry point. */
export type ConvBackwardPipelines = Record<ConvBackEntry, PipelineAndLayout> & {
  /** Set once the driver reports the shader or pipeline invalid (it reports asynchronously). */
  error?: string;
};

/** Pipelines for `config`, compiled on first use. */
export function getConvBackwardPipelines(
  device: GPUDevice,
  config: ConvShaderConfig,
): ConvBackwardPipelines {
  return cachedPipelines(
    device,
    JSON.stringify(['conv-lstm-backward', config]),
    'ConvLSTM backward',
    () => compile(device, config),
  );
}

function compile(device: GPUDevice, config: ConvShaderConfig): ConvBackwardPipelines {
  const modules = {
    steps: device.createShaderModule({
      label: 'rnnkit-conv-lstm-backward-steps',
      code: convBackwardStepsShader(config),
    }),
    products: device.createShaderModule({
      label: 'rnnkit-conv-lstm-backward-products',
      code: convBackwardProductsShader(config),
    }),
  };
  const make = (entryPoint: ConvBackEntry): PipelineAndLayout => {
    const entries: GPUBindGroupLayoutEntry[] = convBackBindings(config, entryPoint).map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.write ? 'storage' : 'read-only-storage' },
    }));
    // The uniforms take a dynamic offset: one block per step.
    entries.push({
      binding: CONV_BACK_BINDING.params,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PER_STEP_PARAMS_BYTES },
    });
    const label = `rnnkit-conv-lstm-backward-${entryPoint}`;
    const layout = device.createBindGroupLayout({ label, entries });
    const pipeline = device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: modules[CONV_BACK_MODULE[entryPoint]], entryPoint },
    });
    return { pipeline, layout };
  };
  const pipelines = {} as ConvBackwardPipelines;
  for (const entry of CONV_BACK_ENTRIES) pipelines[entry] = make(entry);
  return pipelines;
}
