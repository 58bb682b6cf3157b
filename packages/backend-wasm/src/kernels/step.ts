/**
 * Step kernels for the wasm backend (core's `kernels/step.ts`): one timestep of SimpleRNN, LSTM
 * or GRU in rnnkit's WebAssembly module. When the stream is made, the weights are packed into
 * the module's memory as the sequence kernel packs them, and every buffer of a one-step call is
 * allocated there; a step copies the input rows and states in, runs the module's sequence with
 * T = 1 on one thread, and copies the new states out. Nothing is allocated per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  GATES,
  GRUSequence,
  LSTMSequence,
  SimpleRNNSequence,
  type GRUSequenceAttrs,
  type LSTMSequenceAttrs,
  type SequenceKernelName,
  type StepKernel,
  type StepKernelArgs,
  type StepKernelConfig,
} from '@rnnkit/core';
import type { Block } from '../engine/heap.js';
import { stateFor, type WasmBackendLike } from '../engine/state.js';
import { activationCode, align, Family, familyOf } from './shared/module_args.js';

function wasmStepKernel(args: StepKernelArgs): StepKernel {
  const state = stateFor(tf.backend() as unknown as WasmBackendLike);
  const ex = state.exports;
  const kernelName = args.kernelName;
  const attrs = args.attrs as Partial<GRUSequenceAttrs> & LSTMSequenceAttrs;
  const family = familyOf(kernelName, attrs.resetAfter ?? false);
  const act = activationCode(attrs.activation);
  const ract = activationCode(attrs.recurrentActivation ?? null);
  const gates = GATES[kernelName];
  const { batch, inputDim: d } = args;
  const u = attrs.units;
  const hasC = kernelName === LSTMSequence;

  const kernel = args.kernel.dataSync() as Float32Array;
  const recurrent = args.recurrentKernel.dataSync() as Float32Array;
  const bias = args.bias.dataSync() as Float32Array;
  const resetBefore = family === Family.gruResetBefore;
  // Byte sizes of every region, in one block.
  const sizes = {
    wk: d * ex.packedCols(gates, u) * 4,
    wr: u * ex.packedCols(resetBefore ? 2 : gates, u) * 4,
    wr2: resetBefore ? u * ex.packedCols(1, u) * 4 : 0,
    bx: ex.packedCols(gates, u) * 4,
    brh: ex.packedCols(1, u) * 4,
    x: batch * d * 4,
    h0: batch * u * 4,
    c0: batch * u * 4,
    out: batch * u * 4,
    hOut: batch * u * 4,
    cOut: batch * u * 4,
    scratch: ex.scratchBytes(family, batch, 1, u, 1),
    // Staging for the raw weights while they are packed (the largest of the three).
    staging: Math.max(kernel.length, recurrent.length, bias.length) * 4,
  };
  const offsets: Record<keyof typeof sizes, number> = {} as never;
  let total = 0;
  for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
    offsets[key] = total;
    total += align(sizes[key]);
  }
  let block: Block | null = state.ownBlock(total);
  const at = (key: keyof typeof sizes): number => block!.pointer + offsets[key];

  const stage = (values: Float32Array): number => {
    new Float32Array(state.memory.buffer, at('staging'), values.length).set(values);
    return at('staging');
  };
  try {
    ex.packMatrix(stage(kernel), d, gates * u, 0, gates, u, at('wk'));
    if (resetBefore) {
      ex.packMatrix(stage(recurrent), u, gates * u, 0, 2, u, at('wr'));
      ex.packMatrix(stage(recurrent), u, gates * u, 2 * u, 1, u, at('wr2'));
    } else {
      ex.packMatrix(stage(recurrent), u, gates * u, 0, gates, u, at('wr'));
    }
    ex.packBias(family, stage(bias), u, at('bx'), at('brh'));
  } catch (e) {
    state.releaseBlock(block);
    throw e;
  }

  // Views of the regions a step touches, remade only when the memory grows.
  let buffer: ArrayBuffer | SharedArrayBuffer | null = null;
  let xView: Float32Array<ArrayBufferLike> = new Float32Array(0);
  let hIn = xView;
  let cIn = xView;
  let hOut = xView;
  let cOut = xView;
  const views = (): void => {
    buffer = state.memory.buffer;
    const view = (key: keyof typeof sizes, n: number) => new Float32Array(buffer!, at(key), n);
    xView = view('x', batch * d);
    hIn = view('h0', batch * u);
    cIn = view('c0', batch * u);
    hOut = view('hOut', batch * u);
    cOut = view('cOut', batch * u);
  };
  const sequence = ex.sequence as (...values: number[]) => void;

  return {
    step(x: Float32Array, states: Float32Array[]): void {
      if (block == null) throw new Error('rnnkit wasm: step kernel used after dispose()');
      if (buffer !== state.memory.buffer) views();
      xView.set(x);
      hIn.set(states[0]);
      if (hasC) cIn.set(states[1]);
      sequence(
        family,
        batch,
        1,
        d,
        u,
        at('x'),
        at('wk'),
        at('bx'),
        at('wr'),
        resetBefore ? at('wr2') : 0,
        at('brh'),
        at('h0'),
        hasC ? at('c0') : 0,
        0,
        0,
        at('out'),
        at('hOut'),
        hasC ? at('cOut') : 0,
        at('scratch'),
        0,
        act,
        ract,
        0,
        1,
        0,
        0,
      );
      states[0].set(hOut);
      if (hasC) states[1].set(cOut);
    },
    dispose(): void {
      if (block != null) state.releaseBlock(block);
      block = null;
    },
  };
}

const STEPPED: SequenceKernelName[] = [SimpleRNNSequence, LSTMSequence, GRUSequence];

/** The wasm step kernels, one per dense family. */
export const stepKernelConfigs: StepKernelConfig[] = STEPPED.map((kernelName) => ({
  kernelName,
  backendName: 'wasm',
  factory: wasmStepKernel,
}));
