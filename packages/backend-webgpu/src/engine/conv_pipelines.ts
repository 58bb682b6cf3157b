/** The ConvLSTM's compiled pipelines, cached per device and shader configuration. */
import type { ConvShaderConfig } from './conv_validate.js';
import { CONV_BINDING, convLstmShader, convStorageBindings, type ConvEntry } from './conv_wgsl.js';
import { cachedPipelines } from './pipelines.js';
import { PER_STEP_PARAMS_BYTES } from './wgsl.js';

/** What a ConvLSTM call needs to record its dispatches. */
export interface ConvPipelines {
  /** Set once the driver reports the shader or pipeline invalid (it reports asynchronously). */
  error?: string;
  /** The input convolution of every frame, and its bind group layout. */
  project: { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout };
  /** One step (recurrent convolution, gates, state update), and its bind group layout. */
  main: { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout };
}

/** Pipelines for `config`, compiled on first use. */
export function getConvPipelines(device: GPUDevice, config: ConvShaderConfig): ConvPipelines {
  return cachedPipelines(device, JSON.stringify(['conv-lstm', config]), 'ConvLSTM', () =>
    compile(device, config),
  );
}

function compile(device: GPUDevice, config: ConvShaderConfig): ConvPipelines {
  const module = device.createShaderModule({
    label: 'rnnkit-conv-lstm',
    code: convLstmShader(config),
  });
  const make = (entryPoint: ConvEntry) => {
    const entries: GPUBindGroupLayoutEntry[] = convStorageBindings(config, entryPoint).map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.write ? 'storage' : 'read-only-storage' },
    }));
    // The uniforms take a dynamic offset: one block per step.
    entries.push({
      binding: CONV_BINDING.params,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PER_STEP_PARAMS_BYTES },
    });
    const label = `rnnkit-conv-lstm-${entryPoint}`;
    const layout = device.createBindGroupLayout({ label, entries });
    const pipeline = device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint },
    });
    return { pipeline, layout };
  };
  return { project: make('project'), main: make('main') };
}
