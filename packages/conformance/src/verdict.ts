/** Whether a case result counts as a pass: one rule for the test suite, the CLI and the page. */
import type { CaseResult } from './run.js';

/** Options of {@link caseVerdict}. */
export interface VerdictOptions {
  /** Fail a case that ran no fused kernel, or any reference kernel of a required kernel. */
  expectFused?: boolean;
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
 * `expectFused`, at least one fused kernel and no reference kernel ran (reference runs of optional
 * kernels the backend does not register, such as ConvLSTM's, are accepted). The first failing rule,
 * in that order, is reported.
 */
export function caseVerdict(r: CaseResult, options: VerdictOptions = {}): CaseVerdict {
  if (!r.passed) return { ok: false, failure: 'mismatch', message: `${r.name}: ${r.message}` };
  if (r.leakedTensors !== 0) {
    return { ok: false, failure: 'leak', message: `${r.name}: leaked ${r.leakedTensors} tensors` };
  }
  // An optional kernel the backend does not register runs on the reference by design.
  const optional = r.optionalReferenceRuns ?? 0;
  const unexpectedReference = r.referenceRuns - optional;
  if (
    options.expectFused === true &&
    ((r.fusedRuns === 0 && optional === 0) || unexpectedReference !== 0)
  ) {
    return {
      ok: false,
      failure: 'not-fused',
      message: `${r.name}: expected only fused kernels, got ${r.fusedRuns} fused and ${r.referenceRuns} reference runs`,
    };
  }
  return { ok: true };
}
