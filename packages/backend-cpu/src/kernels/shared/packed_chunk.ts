/**
 * The unit packed weights are stored in, and how much of them is kept: shared by the weight
 * cache and the worker threads that receive packed weights.
 */

/**
 * Values per packed array. V8 aborts the process when a double array outgrows its maximum
 * length (about 2^27 elements, less with pointer compression), so large matrices are split
 * into chunks of whole panels, each with its own copy of the left operand.
 */
export const CHUNK_VALUES = 1 << 22;

/** Panels `panel0 .. panel0 + panels` of a packed matrix, then a scratch region. */
export interface PackedChunk {
  buf: number[];
  panel0: number;
  panels: number;
  /** Offset in `buf` of the scratch region for the packed left operand. */
  scratch: number;
}

/** Packed float64 values kept across calls (256 MiB) before older entries are dropped. */
export const CACHE_LIMIT = 1 << 25;
