/** Whether a case result counts as a pass: one rule for the test suite, the CLI and the page. */
import type { CaseResult } from './run.js';

/** Options of {@link caseVerdict}. */
export interface VerdictOptions {
  /**
   * `true`: fail a case that ran no fused kernel, or any reference kernel. A list of kernel names
   * (those a backend registers, e.g. `kernelConfigs.map((k) => k.kernelName)`): fail a case in
   * which a listed kernel ran on the reference, or another kernel ran fused. So a backend that
   * implements some families only is judged on what it declares.
   */
  expectFused?: boolean | readonly string[];
}

/**
 * Why a case did not pass: `mismatch` (an output outside tolerance, a wrong shape or a throw),
 * `leak` (tensors left behind) or `not-fused` (the backend's fused kernel did not run, or a
 * reference kernel did).
 */
export type VerdictFailure = 'mismatch' | 'leak' | 'not-fused';

/** A case's verdict; `message` names the case and says what went wrong. */
export type CaseVerdict = { ok: true } | { ok: false; failure: VerdictFailure; message: string };

/**
 * Judges `r`: it passes when every output is within tolerance, no tensor leaked and, with
 * `expectFused`, the kernels ran on the path it asks for (see {@link VerdictOptions}). The first
 * failing rule, in that order, is reported.
 */
export function caseVerdict(r: CaseResult, options: VerdictOptions = {}): CaseVerdict {
  if (!r.passed) return { ok: false, failure: 'mismatch', message: `${r.name}: ${r.message}` };
  if (r.leakedTensors !== 0) {
    return { ok: false, failure: 'leak', message: `${r.name}: leaked ${r.leakedTensors} tensors` };
  }
  if (options.expectFused === true && (r.fusedRuns === 0 || r.referenceRuns !== 0)) {
    return {
      ok: false,
      failure: 'not-fused',
      message: `${r.name}: expected only fused kernels, got ${r.fusedRuns} fused and ${r.referenceRuns} reference runs`,
    };
  }
  if (Array.isArray(options.expectFused)) return declaredVerdict(r, options.expectFused);
  return { ok: true };
}

/** `expectFused` as a list: listed kernels fused only, every other one on the reference only. */
function declaredVerdict(r: CaseResult, declared: readonly string[]): CaseVerdict {
  const runs = Object.entries(r.kernelRuns);
  if (runs.length === 0) {
    return { ok: false, failure: 'not-fused', message: `${r.name}: no sequence kernel ran` };
  }
  for (const [name, { fused, reference }] of runs) {
    const wantFused = declared.includes(name);
    if (wantFused ? reference !== 0 : fused !== 0) {
      return {
        ok: false,
        failure: 'not-fused',
        message: `${r.name}: expected ${name} to run ${
          wantFused
            ? 'fused (the backend declares it)'
            : 'on the reference (the backend does not declare it)'
        }, got ${fused} fused and ${reference} reference runs`,
      };
    }
  }
  return { ok: true };
}
