/**
 * WebAssembly engine features for the run. Relaxed SIMD (fused multiply-add) is on by default in
 * Chrome and Edge since 114 and in Node since 22; Node 20 has it behind a V8 flag, which the
 * bench sets (before any module compiles) so that the wasm runners see a current engine. The
 * flag is process-wide: onnxruntime-web's workers get it too.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '@rnnkit/backend-wasm';

/** How the run's engine came to have (or not have) relaxed SIMD. */
export type RelaxedSimd = 'native' | 'flag' | 'off' | 'unavailable';

/** Enables relaxed SIMD when `wanted` and the engine has it only behind a flag. */
export function setupRelaxedSimd(wanted: boolean): RelaxedSimd {
  if (relaxedSimdSupported()) return wanted ? 'native' : 'off';
  if (!wanted) return 'off';
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported() ? 'flag' : 'unavailable';
}

/** A line for the report. */
export function describeRelaxedSimd(state: RelaxedSimd): string {
  switch (state) {
    case 'native':
      return 'SIMD and relaxed SIMD';
    case 'flag':
      return 'SIMD and relaxed SIMD (Node 20: enabled with --experimental-wasm-relaxed-simd)';
    case 'off':
      return 'SIMD; relaxed SIMD not used (--no-relaxed-simd)';
    default:
      return 'SIMD; this engine has no relaxed SIMD';
  }
}

/**
 * Idle time before a sample: worker threads that spin after their work go to sleep by then,
 * and the collector's background work on the previous runner's garbage is done (with 5 ms,
 * rnnkit-cpu-2t on lstm-w1 read 1.8 ms after tfjs-layers, 1.5 ms with 30 ms or on its own).
 */
const SETTLE_PAUSE_MS = 30;

/**
 * Idles for a moment before a timed sample, so that worker threads which spin after their work
 * (onnxruntime-web's, rnnkit's) are asleep again, and the garbage collector's background threads
 * idle, instead of competing for the second core with the next runner. It does not force a garbage collection: a full collection between
 * samples leaves tfjs-layers in a cold state (its lstm-w1 forward then takes 35 ms instead of
 * 19), so each runner keeps the heap as its own steady state left it.
 */
export async function settleProcess(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
}
