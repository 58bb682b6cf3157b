/**
 * A backend that implements one family only: a copy of the tfjs cpu backend under another name
 * with the fused LSTM kernel and no other sequence kernel (nor backward kernel). The registration suite accepts it, and
 * the conformance suite wants its LSTM fused and every other family on core's reference kernels:
 * a new family can land on one backend before the others.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { SEQUENCE_GRAD_KERNEL_NAMES, SEQUENCE_KERNEL_NAMES } from '@rnnkit/core';
import { defineConformanceSuite, defineRegistrationSuite } from '@rnnkit/conformance';
import { beforeAll, describe, it } from 'vitest';
import { lstmSequenceConfig } from '../src/index.js';

const backendName = 'cpu-lstm-only';
const kernelConfigs: tf.KernelConfig[] = [{ ...lstmSequenceConfig, backendName }];
const sequenceKernels: readonly string[] = [
  ...SEQUENCE_KERNEL_NAMES,
  ...SEQUENCE_GRAD_KERNEL_NAMES,
];

async function init(): Promise<void> {
  if (tf.findBackendFactory(backendName) == null) {
    tf.registerBackend(backendName, () => new MathBackendCPU());
    // The tfjs ops the reference kernels need, as the cpu backend has them.
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (!sequenceKernels.includes(k.kernelName)) tf.registerKernel({ ...k, backendName });
    }
    kernelConfigs.forEach((k) => tf.registerKernel(k));
  }
  await tf.setBackend(backendName);
}

defineRegistrationSuite(
  { describe, it, beforeAll },
  { backend: backendName, pkg: { backendName, kernelConfigs, init } },
);

defineConformanceSuite(
  { describe, it, beforeAll },
  { backend: backendName, init, expectFused: kernelConfigs.map((k) => k.kernelName) },
);
