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
