/**
 * How a sequence's recurrence is laid out on the GPU: one long-running workgroup per batch tile,
 * or one dispatch per timestep.
 */

/** `workgroup`: one dispatch for the whole sequence. `per-step`: one dispatch per step. */
export type RecurrencePath = 'workgroup' | 'per-step';

/** The device limits the rule reads (a subset of `GPUSupportedLimits`). */
export interface RecurrenceLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** The layout chosen for one kernel call. */
export interface RecurrencePlan {
  path: RecurrencePath;
  /** Invocations per workgroup. Workgroup path: one per unit; per-step: a unit slice. */
  workgroupSize: number;
  /** Batch rows one workgroup carries (workgroup path; 1 on the per-step path). */
  batchTile: number;
  /** Workgroups per dispatch: `[x, y]`. */
  grid: [number, number];
  /** Recurrence dispatches (the input projection adds one more). */
  dispatches: number;
  /** Why this path, in words (for logs and benchmarks). */
  reason: string;
}

/** Shape facts the rule needs. */
export interface RecurrenceShape {
  batch: number;
  steps: number;
  units: number;
  /** GRU with `resetAfter: false` needs `r ⊙ h` of every unit before the candidate. */
  twoPhase: boolean;
}

/** Per-step path: invocations per workgroup, along units. */
export const PER_STEP_WORKGROUP = 64;
/** Largest batch tile; more rows per workgroup means more live registers per invocation. */
export const MAX_BATCH_TILE = 4;
/** Batch rows per workgroup grow only once there would be more workgroups than this. */
const TILE_AFTER_WORKGROUPS = 8;

let forcedPath: RecurrencePath | 'auto' = 'auto';

/**
 * Forces a path for every later kernel call (`auto` restores the rule). For tests and
 * benchmarks; forcing `workgroup` where the rule forbids it makes kernels throw.
 */
export function setRecurrencePath(path: RecurrencePath | 'auto'): void {
  if (path !== 'auto' && path !== 'workgroup' && path !== 'per-step') {
    throw new Error(
      `setRecurrencePath: expected 'auto', 'workgroup' or 'per-step', got ${JSON.stringify(path)}`,
    );
  }
  forcedPath = path;
}

/** The path set by {@link setRecurrencePath}. */
export function getRecurrencePath(): RecurrencePath | 'auto' {
  return forcedPath;
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * The rule. The whole sequence runs in one dispatch (one workgroup per tile of batch rows,
 * looping over time with `h` in workgroup memory and a `workgroupBarrier` per step) when
 *
 * - one invocation per unit fits a workgroup: `units ≤ maxComputeInvocationsPerWorkgroup` and
 *   `≤ maxComputeWorkgroupSizeX` (256 on every WebGPU device, more on most GPUs), and
 * - one batch row's state fits workgroup memory: `4·units` bytes, twice that for GRU with
 *   `resetAfter: false` (`r ⊙ h`), within `maxComputeWorkgroupStorageSize` (16 KiB minimum),
 *
 * Otherwise every step is its own dispatch over `(unit, batch row)` invocations, all recorded in
 * one compute pass of one command encoder (GRU with `resetAfter: false` takes two per step).
 *
 * A workgroup carries `min(4, ceil(batch / 8))` rows (fewer if workgroup memory is short), so
 * small batches keep one workgroup per row and large ones share each recurrent-weight load
 * among up to four rows.
 */
export function planRecurrence(shape: RecurrenceShape, limits: RecurrenceLimits): RecurrencePlan {
  const { batch, steps, units, twoPhase } = shape;
  const maxInvocations = Math.min(
    limits.maxComputeInvocationsPerWorkgroup,
    limits.maxComputeWorkgroupSizeX,
  );
  const rowBytes = 4 * units * (twoPhase ? 2 : 1);
  const maxTileByMemory = Math.floor(limits.maxComputeWorkgroupStorageSize / rowBytes);
  const fits = units <= maxInvocations && maxTileByMemory >= 1;
  const why = fits
    ? `units ${units} ≤ ${maxInvocations} invocations and ${rowBytes} B state ≤ ` +
      `${limits.maxComputeWorkgroupStorageSize} B workgroup memory`
    : units > maxInvocations
      ? `units ${units} > ${maxInvocations} invocations per workgroup`
      : `${rowBytes} B state > ${limits.maxComputeWorkgroupStorageSize} B workgroup memory`;

  let path: RecurrencePath = fits ? 'workgroup' : 'per-step';
  if (forcedPath === 'per-step') path = 'per-step';
  if (forcedPath === 'workgroup') {
    if (!fits) throw new Error(`setRecurrencePath('workgroup'): not possible here, ${why}`);
    path = 'workgroup';
  }

  if (path === 'workgroup') {
    const batchTile = Math.max(
      1,
      Math.min(MAX_BATCH_TILE, Math.ceil(batch / TILE_AFTER_WORKGROUPS), maxTileByMemory, batch),
    );
    const workgroups = Math.ceil(batch / batchTile);
    if (workgroups > limits.maxComputeWorkgroupsPerDimension) {
      throw new Error(
        `batch: expected at most ${limits.maxComputeWorkgroupsPerDimension * batchTile} rows ` +
          `for this device, got ${batch}`,
      );
    }
    return {
      path,
      workgroupSize: Math.min(roundUp(units, 32), maxInvocations),
      batchTile,
      grid: [workgroups, 1],
      dispatches: steps > 0 && batch > 0 ? 1 : 0,
      reason: forcedPath === 'auto' ? why : `forced (${why})`,
    };
  }
  const unitGroups = Math.ceil(units / PER_STEP_WORKGROUP);
  if (batch > limits.maxComputeWorkgroupsPerDimension) {
    throw new Error(
      `batch: expected at most ${limits.maxComputeWorkgroupsPerDimension} rows for this device, ` +
        `got ${batch}`,
    );
  }
  return {
    path,
    workgroupSize: PER_STEP_WORKGROUP,
    batchTile: 1,
    grid: [unitGroups, batch],
    dispatches: batch > 0 ? steps * (twoPhase ? 2 : 1) : 0,
    reason: forcedPath === 'auto' ? why : `forced (${why})`,
  };
}
