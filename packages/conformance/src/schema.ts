/** The conformance case format: one JSON file per case in `cases/`. See CASES.md. */

/** A dense array: row-major `data` of the given `shape`. */
export interface CaseArray {
  shape: number[];
  data: number[];
}

/** One layer call and what Keras returns for it. */
export interface CaseCall {
  /** float32 `[batch, time, features]`. */
  input: CaseArray;
  /** `[batch, time]`, 1 keeps a step, 0 masks it. */
  mask?: CaseArray;
  /** Initial states in Keras order. */
  initial_state?: CaseArray[];
  /** Keras return values in order: `[output]` or `[output, ...states]`. */
  expected: CaseArray[];
}

/** A conformance case. */
export interface ConformanceCase {
  /** Equals the file name without `.json`. */
  name: string;
  description: string;
  /** Where the expected values come from (never from rnnkit itself). */
  source: string;
  /** Keras version whose semantics apply (hard_sigmoid); Keras 3 when absent. */
  keras_version?: string;
  /** Keras `{class_name, config}` of the layer. */
  layer: { class_name: string; config: Record<string, unknown> };
  /** Weights in Keras `get_weights()` order; absent when the initializers define them. */
  weights?: CaseArray[];
  /** Calls in order; stateful cases carry state from one call to the next. */
  calls: CaseCall[];
  /** A value passes when `|actual − expected| ≤ atol + rtol·|expected|`. */
  tolerance: { atol: number; rtol: number };
}
