/**
 * The one time loop of @rnnkit/core: one step per timestep with Keras masking, built from
 * tfjs-core ops (so it runs on every backend and is differentiable). The reference kernels run
 * it with their family's step; the recurrent layers run it for custom cells that have no
 * sequence kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One step: the step's input and the states in, `[output, ...newStates]` out. */
export type TimeStep = (input: tf.Tensor, states: tf.Tensor[]) => tf.Tensor[];

/** What {@link timeLoop} runs over, and Keras's flags. */
export interface TimeLoopArgs {
  /** `[B, T, …]`: the input of step `t` is `inputs[:, t]`, in input time order. */
  inputs: tf.Tensor;
  /** The states before the first step. */
  initialStates: tf.Tensor[];
  /** Shape of one step's output; the output before the first step is zeros of it. */
  outputShape: readonly number[];
  /** bool `[B, T]` in input time order; false skips the step. */
  mask?: tf.Tensor;
  /** Process steps T−1 … 0. */
  goBackwards: boolean;
  /** Return every step's output `[B, T, …]`, else the last processed step's. */
  returnSequences: boolean;
  /** With `goBackwards`, write the output of the step that read input `t` at position `t`. */
  alignToInput: boolean;
  /** A masked step outputs zeros instead of the previous output. */
  zeroOutputForMask: boolean;
}

/** `keep` `[B, 1]` broadcast to `shape` `[B, …]`. */
function keepFor(keep: tf.Tensor, shape: number[]): tf.Tensor {
  const aligned =
    shape.length === 2 ? keep : tf.reshape(keep, [shape[0], ...shape.slice(1).map(() => 1)]);
  return tf.broadcastTo(aligned, shape);
}

/**
 * Runs `step` over time. A masked step keeps every state and outputs the previous output (or
 * zeros with `zeroOutputForMask`). Returns `[output, ...states]`.
 */
export function timeLoop(args: TimeLoopArgs, step: TimeStep): tf.Tensor[] {
  return tf.tidy(() => {
    const steps = args.inputs.shape[1] as number;
    const xs = tf.unstack(args.inputs, 1);
    const masks = args.mask == null ? null : tf.unstack(tf.expandDims(args.mask, 2), 1);
    let states = args.initialStates;
    let previousOutput: tf.Tensor = tf.zeros([...args.outputShape]);
    const zeros = previousOutput;
    const outputs: tf.Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const t = args.goBackwards ? steps - 1 - s : s;
      const [out, ...next] = step(xs[t], states);
      let output = out;
      if (masks != null) {
        // Select, never multiply: a NaN at a masked step must not leak.
        const keep = masks[t];
        states = next.map((n, i) => tf.where(keepFor(keep, n.shape), n, states[i]));
        output = tf.where(
          keepFor(keep, output.shape),
          output,
          args.zeroOutputForMask ? zeros : previousOutput,
        );
      } else {
        states = next;
      }
      previousOutput = output;
      outputs.push(output);
    }
    if (args.goBackwards && args.alignToInput) outputs.reverse();
    // A distinct tensor even when it holds the same values as h, so each can be disposed alone.
    const output = args.returnSequences ? tf.stack(outputs, 1) : tf.clone(previousOutput);
    return [output, ...states];
  });
}
