/**
 * Times rnnkit's whole-sequence kernels inside a forward, to report what a call spends outside
 * them (layer set-up, dispatch, initial states, read-back). Each registered sequence kernel of a
 * synchronous backend (cpu, wasm) is wrapped once per process by a function that adds its elapsed
 * time to the timer collecting at that moment, if any; the wrapper costs two clock reads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SEQUENCE_KERNEL_NAMES } from '@rnnkit/core';

/** What {@link KernelTimer.outside} reports: per forward, the time outside the kernels. */
export interface OutsideKernel {
  /** Mean µs per forward spent outside the sequence kernels. */
  us: number;
  /** That time ÷ the kernels' time per forward. */
  share: number;
}

/** Collects kernel time and forward time over the forwards it is started around. */
export interface KernelTimer {
  /** Call before a forward: kernel time from now on counts for this timer. */
  start(): void;
  /** Call after it with the forward's elapsed ms. */
  stop(forwardMs: number): void;
  /** Null until a forward ran a wrapped kernel. */
  outside(): OutsideKernel | null;
}

let collecting: { kernelMs: number } | null = null;
const wrapped = new Set<string>();

function wrapKernels(backend: string): void {
  for (const name of SEQUENCE_KERNEL_NAMES) {
    const key = `${backend}:${name}`;
    const config = tf.getKernel(name, backend);
    if (config == null || wrapped.has(key)) continue;
    const inner = config.kernelFunc;
    tf.unregisterKernel(name, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const into = collecting;
        if (into == null) return inner(args);
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          into.kernelMs += performance.now() - t0;
        }
      },
    });
    wrapped.add(key);
  }
}

/**
 * A timer for forwards on `backend`, or null where kernels run asynchronously (webgpu: a
 * kernel call returns before the GPU work is done, so its time is not the kernel's).
 */
export function kernelTimer(backend: string): KernelTimer | null {
  if (backend !== 'cpu' && backend !== 'wasm') return null;
  wrapKernels(backend);
  const mine = { kernelMs: 0 };
  let forwardMs = 0;
  let forwards = 0;
  return {
    start: () => {
      collecting = mine;
    },
    stop: (ms) => {
      collecting = null;
      forwardMs += ms;
      forwards++;
    },
    outside: () => {
      if (forwards === 0 || mine.kernelMs === 0) return null;
      const outsideMs = forwardMs - mine.kernelMs;
      return { us: (1000 * outsideMs) / forwards, share: outsideMs / mine.kernelMs };
    },
  };
}
