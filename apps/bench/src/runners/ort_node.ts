/** `onnxruntime-node` (native CPU execution provider, one intra-op thread): the native ceiling. */
import type * as OrtNodeModule from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { firstLine } from '../reasons.js';
import { meanMs } from '../stats.js';
import { onnxInputs, onnxSkip } from './onnx_inputs.js';
import type { Runner } from './types.js';

type OrtNode = typeof OrtNodeModule;

/** The onnxruntime-node runner; unavailable when its native binding does not load. */
export async function ortNodeRunner(): Promise<Runner> {
  let ort: OrtNode | undefined;
  let unavailable: string | undefined;
  try {
    ort = await import('onnxruntime-node');
  } catch (err) {
    unavailable = `onnxruntime-node native binding did not load: ${firstLine(String(err))}`;
  }
  return {
    id: 'ort-node-1t',
    family: 'onnxruntime-node',
    backend: 'native cpu',
    unavailable,
    async prepare(data) {
      const skip = onnxSkip(data);
      if (skip) return skip;
      if (data.workload.stepping != null)
        return { skip: 'n/a: the stepped onnxruntime peer is onnxruntime-web' };
      if (!ort) throw new Error('onnxruntime-node not loaded');
      const o = ort;
      const inputs = onnxInputs(data);
      const session: InferenceSession = await o.InferenceSession.create(inputs.model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const x = new o.Tensor('float32', inputs.x, inputs.dims);
      const run = async (): Promise<{ ms: number; yh: Float32Array }> => {
        const t0 = performance.now();
        const out = await session.run({ X: x });
        const ms = performance.now() - t0;
        return { ms, yh: out.Y_h.data as Float32Array };
      };
      return {
        forward: (count) => meanMs(count, async () => (await run()).ms),
        output: async () => inputs.toKerasOrder((await run()).yh),
        dispose: () => session.release(),
      };
    },
  };
}
