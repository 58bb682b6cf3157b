/**
 * `@rnnkit/conformance/naive`: the Keras recurrent equations in plain float64, an oracle for
 * kernel and layer tests that is independent of every rnnkit implementation: of @rnnkit/core it
 * reads only the family table (`@rnnkit/core/families`: gate counts and bias layouts, facts
 * checked against Keras's shapes in core's tests), never a kernel or a layer. Runs anywhere: no
 * Node APIs, no tfjs.
 *
 * ```ts
 * import { maxRelError, naiveSequence } from '@rnnkit/conformance/naive';
 * const want = naiveSequence({ family: 'lstm', batch, steps, inputDim, units, x, kernel, ... });
 * expect(maxRelError(got, want.output)).toBeLessThan(1e-5);
 * ```
 */
export { erf, naiveActivation, NAIVE_ACTIVATIONS } from './activations.js';
export { maxRelError } from './compare.js';
export { naiveConvLSTM, type NaiveConvLSTMProblem, type NaiveConvLSTMResult } from './conv_lstm.js';
export {
  naiveSequence,
  type NaiveFamily,
  type NaiveProblem,
  type NaiveResult,
  type NaiveSettings,
} from './sequence.js';
