// The pass rule shared by the test suite, the parity CLI and the browser page, and the
// browser entry's promise that it never reaches `node:` modules.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { caseVerdict, type CaseResult } from '../src/index.js';

const base: CaseResult = {
  name: 'lstm_basic',
  passed: true,
  maxAbsError: 1e-7,
  fusedRuns: 1,
  referenceRuns: 0,
  kernelRuns: { RnnkitLSTMSequence: { fused: 1, reference: 0 } },
  leakedTensors: 0,
  outputs: [],
};

describe('caseVerdict', () => {
  it('accepts ConvLSTM on the reference from a backend that does not declare its kernel', () => {
    const convlstm = {
      ...base,
      fusedRuns: 0,
      referenceRuns: 1,
      kernelRuns: { RnnkitConvLSTMSequence: { fused: 0, reference: 1 } },
    };
    const declared = ['RnnkitSimpleRNNSequence', 'RnnkitLSTMSequence', 'RnnkitGRUSequence'];
    expect(caseVerdict(convlstm, { expectFused: declared })).toEqual({ ok: true });
    // Declared, it must run fused.
    expect(
      caseVerdict(convlstm, { expectFused: [...declared, 'RnnkitConvLSTMSequence'] }),
    ).toMatchObject({ failure: 'not-fused' });
  });

  it('passes a result within tolerance that leaked nothing and ran the fused kernel', () => {
    expect(caseVerdict(base, { expectFused: true })).toEqual({ ok: true });
  });

  it('reports a mismatch first, with the runner message', () => {
    const v = caseVerdict(
      {
        ...base,
        passed: false,
        message: 'call 0 output 0[3]: got 1, expected 2',
        leakedTensors: 2,
      },
      { expectFused: true },
    );
    expect(v).toEqual({
      ok: false,
      failure: 'mismatch',
      message: 'lstm_basic: call 0 output 0[3]: got 1, expected 2',
    });
  });

  it('fails leaked tensors', () => {
    expect(caseVerdict({ ...base, leakedTensors: 3 })).toEqual({
      ok: false,
      failure: 'leak',
      message: 'lstm_basic: leaked 3 tensors',
    });
  });

  it('with expectFused, fails a case that ran no fused kernel or any reference kernel', () => {
    for (const runs of [
      { fusedRuns: 0, referenceRuns: 0 },
      { fusedRuns: 0, referenceRuns: 1 },
      { fusedRuns: 2, referenceRuns: 1 },
    ]) {
      const v = caseVerdict({ ...base, ...runs }, { expectFused: true });
      expect(v).toEqual({
        ok: false,
        failure: 'not-fused',
        message: `lstm_basic: expected only fused kernels, got ${runs.fusedRuns} fused and ${runs.referenceRuns} reference runs`,
      });
    }
  });

  it('with the declared kernels, wants those fused and every other one on the reference', () => {
    const declared = ['RnnkitLSTMSequence'];
    const mixed: CaseResult = {
      ...base,
      fusedRuns: 2,
      referenceRuns: 1,
      kernelRuns: {
        RnnkitLSTMSequence: { fused: 2, reference: 0 },
        RnnkitGRUSequence: { fused: 0, reference: 1 },
      },
    };
    expect(caseVerdict(mixed, { expectFused: declared })).toEqual({ ok: true });
    expect(caseVerdict(mixed, { expectFused: true }).ok).toBe(false);
    expect(
      caseVerdict(
        { ...mixed, kernelRuns: { RnnkitLSTMSequence: { fused: 1, reference: 1 } } },
        { expectFused: declared },
      ),
    ).toEqual({
      ok: false,
      failure: 'not-fused',
      message:
        'lstm_basic: expected RnnkitLSTMSequence to run fused (the backend declares it), got 1 fused and 1 reference runs',
    });
    expect(
      caseVerdict(
        { ...mixed, kernelRuns: { RnnkitGRUSequence: { fused: 1, reference: 0 } } },
        { expectFused: declared },
      ),
    ).toEqual({
      ok: false,
      failure: 'not-fused',
      message:
        'lstm_basic: expected RnnkitGRUSequence to run on the reference (the backend does not declare it), got 1 fused and 0 reference runs',
    });
    expect(caseVerdict({ ...mixed, kernelRuns: {} }, { expectFused: declared })).toEqual({
      ok: false,
      failure: 'not-fused',
      message: 'lstm_basic: no sequence kernel ran',
    });
  });

  it('without expectFused, accepts the reference kernels', () => {
    expect(caseVerdict({ ...base, fusedRuns: 0, referenceRuns: 1 })).toEqual({ ok: true });
  });
});

describe('the browser entry', () => {
  it('reaches no node: module and neither load.ts nor the suites', () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
    const seen = new Set<string>();
    const bare: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)(?:\s+[^;']*?\bfrom)?\s+'([^']+)'/gm)) {
        const spec = m[1];
        if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
        else bare.push(spec);
      }
    };
    visit(join(src, 'browser.ts'));
    const files = [...seen].map((f) => f.slice(src.length + 1)).sort();
    expect(files).toEqual(['browser.ts', 'data.ts', 'run.ts', 'schema.ts', 'verdict.ts']);
    expect(bare.filter((s) => s.startsWith('node:'))).toEqual([]);
    expect([...new Set(bare)].sort()).toEqual(['@rnnkit/core', '@tensorflow/tfjs-core']);
  });
});
