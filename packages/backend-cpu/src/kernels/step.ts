/**
 * Step kernels for the cpu backend (core's `kernels/step.ts`): one timestep of SimpleRNN, LSTM or
 * GRU on the stream's typed arrays. The weights are packed once when the stream is made; a step
 * projects its input rows into a one-step `xw`, then runs the very cell step of the sequence
 * kernel, so streaming matches a whole-sequence call to the bit. Nothing is allocated per step.
 */
import {
  FAMILIES,
  gateCount,
  GRUSequence,
  LSTMSequence,
  SimpleRNNSequence,
  type GRUSequenceAttrs,
  type KernelActivation,
  type StepKernel,
  type StepKernelArgs,
  type StepKernelConfig,
} from '@rnnkit/core';
import { PANEL } from './shared/gemm.js';
import type { CellContext, CellStep } from './shared/sequence.js';
import {
  multiply,
  packLeft,
  packWeights,
  padColumns,
  type PackedWeights,
} from './shared/weights.js';
import { GRU_SEGMENTS, gruCellStep, gruProjectionBias } from './GRUSequence.js';
import { lstmCellStep } from './LSTMSequence.js';
import { simpleRNNCellStep } from './SimpleRNNSequence.js';

function valuesOf(
  args: StepKernelArgs,
  which: 'kernel' | 'recurrentKernel' | 'bias',
): Float32Array {
  return args[which].dataSync() as Float32Array;
}

/** A cpu step kernel from a family's cell step and its column segments. */
function cpuStepKernel(
  args: StepKernelArgs,
  segments: number[],
  projectionBias: Float32Array,
  makeStep: (context: CellContext) => CellStep,
): StepKernel {
  const { batch, inputDim: d } = args;
  const u = args.attrs.units;
  const kernel: PackedWeights = packWeights(valuesOf(args, 'kernel'), d, segments);
  const recurrent = packWeights(valuesOf(args, 'recurrentKernel'), u, segments);
  const bias = padColumns(projectionBias, 0, kernel, segments);
  const ld = PANEL * kernel.panels;
  const xw = new Float32Array(batch * ld);
  const h = new Float32Array(batch * u);
  const hasC = args.kernelName === LSTMSequence;
  const c = hasC ? new Float32Array(batch * u) : null;
  const attrs = args.attrs as Partial<GRUSequenceAttrs>;
  const step = makeStep({
    batch,
    steps: 1,
    units: u,
    recurrent,
    xw,
    h,
    c,
    recurrentMask: null,
    activation: args.attrs.activation,
    recurrentActivation: (attrs.recurrentActivation ?? null) as KernelActivation | null,
  });
  const active = new Uint8Array(batch).fill(1);
  return {
    step(x: Float32Array, states: Float32Array[]): void {
      packLeft(kernel, x, 0, d, batch, null);
      multiply(batch, kernel, 0, kernel.panels, bias, 0, 0, xw, 0, ld);
      h.set(states[0]);
      if (c != null) c.set(states[1]);
      step(0, active);
      states[0].set(h);
      if (c != null) states[1].set(c);
    },
    dispose(): void {},
  };
}

/** The cpu step kernels, one per dense family. */
export const stepKernelConfigs: StepKernelConfig[] = [
  {
    kernelName: SimpleRNNSequence,
    backendName: 'cpu',
    factory: (args) =>
      cpuStepKernel(args, [args.attrs.units], valuesOf(args, 'bias'), simpleRNNCellStep),
  },
  {
    kernelName: LSTMSequence,
    backendName: 'cpu',
    factory: (args) =>
      cpuStepKernel(
        args,
        [gateCount(FAMILIES.LSTM) * args.attrs.units],
        valuesOf(args, 'bias'),
        lstmCellStep,
      ),
  },
  {
    kernelName: GRUSequence,
    backendName: 'cpu',
    factory: (args) => {
      const u = args.attrs.units;
      const resetAfter = (args.attrs as GRUSequenceAttrs).resetAfter;
      const bias = valuesOf(args, 'bias');
      const gu = gateCount(FAMILIES.GRU) * u;
      const candidateBias = resetAfter ? bias.slice(gu + 2 * u, 2 * gu) : null;
      return cpuStepKernel(args, GRU_SEGMENTS(u), gruProjectionBias(bias, u, resetAfter), (s) =>
        gruCellStep(s, candidateBias),
      );
    },
  },
];
