/** Size and time limits that keep hostile files from exhausting memory or time. */

/** Limits applied while loading a model; every field is optional in {@link LoadOptions}. */
export interface LoadLimits {
  /** Largest model file accepted, in bytes. Default 2 GiB. */
  maxFileBytes: number;
  /** Largest JSON document (config.json, model.json, model_config), in bytes. Default 16 MiB. */
  maxConfigBytes: number;
  /** Largest total of all weight values, in bytes. Default 2 GiB. */
  maxWeightBytes: number;
  /** Largest number of layers in a model. Default 10 000. */
  maxLayers: number;
  /** Largest number of groups and datasets in an HDF5 file. Default 100 000. */
  maxHdf5Nodes: number;
  /** Largest number of entries in a `.keras` zip. Default 10 000. */
  maxZipEntries: number;
  /** Time allowed to parse one HDF5 file, in milliseconds. Default 120 000. */
  hdf5TimeoutMs: number;
  /**
   * Time allowed for one HTTP(S) download (the model, or one tfjs weight shard), from the
   * request to the last byte, in milliseconds. Default 120 000.
   */
  fetchTimeoutMs: number;
}

/** The defaults of {@link LoadLimits}. */
export const DEFAULT_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxFileBytes: 2 ** 31,
  maxConfigBytes: 16 * 2 ** 20,
  maxWeightBytes: 2 ** 31,
  maxLayers: 10_000,
  maxHdf5Nodes: 100_000,
  maxZipEntries: 10_000,
  hdf5TimeoutMs: 120_000,
  fetchTimeoutMs: 120_000,
});

/** Largest total expansion DEFLATE can reach (about 1032:1); a larger declared ratio is a lie. */
export const MAX_DEFLATE_RATIO = 1032;
