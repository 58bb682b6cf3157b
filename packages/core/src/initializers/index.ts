/**
 * Keras initializers by name and class, seeded and deterministic. Each produces a float32
 * tensor of a given shape; `getConfig()` returns the Keras 3 serialized form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, RnnkitError } from '../errors.js';
import { orthogonalMatrix } from './orthogonal.js';
import { SeededRandom } from './random.js';

/** Keras serialized initializer: `{class_name, config}` (Keras 3 also adds module fields). */
export interface InitializerConfig {
  class_name: string;
  config?: Record<string, unknown>;
  module?: string;
  registered_name?: string | null;
}

/** A weight initializer. */
export interface Initializer {
  /** Keras class name, e.g. `GlorotUniform`. */
  readonly className: string;
  /** A new float32 tensor of `shape`. */
  apply(shape: readonly number[]): tf.Tensor;
  /** Keras 3 config fields (without `class_name`). */
  getConfig(): Record<string, unknown>;
}

function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fill(shape: readonly number[], draw: () => number): tf.Tensor {
  const values = new Float32Array(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = draw();
  return tf.tensor(values, shape as number[], 'float32');
}

/** Seed handling shared by the random initializers: a fixed seed gives the same tensor each call. */
abstract class RandomInitializer implements Initializer {
  abstract readonly className: string;
  constructor(readonly seed: number | null = null) {}
  protected random(): SeededRandom {
    return new SeededRandom(this.seed);
  }
  abstract apply(shape: readonly number[]): tf.Tensor;
  abstract getConfig(): Record<string, unknown>;
}

/** All zeros. */
export class Zeros implements Initializer {
  readonly className = 'Zeros';
  apply(shape: readonly number[]): tf.Tensor {
    return tf.zeros(shape as number[], 'float32');
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** All ones. */
export class Ones implements Initializer {
  readonly className = 'Ones';
  apply(shape: readonly number[]): tf.Tensor {
    return tf.ones(shape as number[], 'float32');
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** A constant value. */
export class Constant implements Initializer {
  readonly className = 'Constant';
  constructor(readonly value = 0) {}
  apply(shape: readonly number[]): tf.Tensor {
    return tf.fill(shape as number[], this.value, 'float32');
  }
  getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
}

/** Identity matrix times `gain` (2-D shapes only). */
export class Identity implements Initializer {
  readonly className = 'Identity';
  constructor(readonly gain = 1) {}
  apply(shape: readonly number[]): tf.Tensor {
    if (shape.length !== 2) invalidArgument('Identity initializer shape', 'a 2-D shape', shape);
    return tf.mul(tf.eye(shape[0], shape[1]), this.gain);
  }
  getConfig(): Record<string, unknown> {
    return { gain: this.gain };
  }
}

/** Draws `mean + stddev·z` for a standard draw `z` the subclass picks. */
abstract class MeanStddevInitializer extends RandomInitializer {
  constructor(
    readonly mean = 0,
    readonly stddev = 0.05,
    seed: number | null = null,
  ) {
    super(seed);
  }
  protected abstract draw(random: SeededRandom): number;
  apply(shape: readonly number[]): tf.Tensor {
    const r = this.random();
    return fill(shape, () => this.mean + this.stddev * this.draw(r));
  }
  getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, seed: this.seed };
  }
}

/** Normal draws with `mean` and `stddev`. */
export class RandomNormal extends MeanStddevInitializer {
  readonly className = 'RandomNormal';
  protected draw(random: SeededRandom): number {
    return random.normal();
  }
}

/** Normal draws within two standard deviations. */
export class TruncatedNormal extends MeanStddevInitializer {
  readonly className = 'TruncatedNormal';
  protected draw(random: SeededRandom): number {
    return random.truncatedNormal();
  }
}

/** Uniform draws in [minval, maxval). */
export class RandomUniform extends RandomInitializer {
  readonly className = 'RandomUniform';
  constructor(
    readonly minval = -0.05,
    readonly maxval = 0.05,
    seed: number | null = null,
  ) {
    super(seed);
  }
  apply(shape: readonly number[]): tf.Tensor {
    const r = this.random();
    return fill(shape, () => this.minval + (this.maxval - this.minval) * r.uniform());
  }
  getConfig(): Record<string, unknown> {
    return { minval: this.minval, maxval: this.maxval, seed: this.seed };
  }
}

/** Fan mode of {@link VarianceScaling}. */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
/** Distribution of {@link VarianceScaling}. */
export type ScalingDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** Keras `VarianceScaling`; the Glorot, He and LeCun initializers are presets of it. */
export class VarianceScaling extends RandomInitializer {
  readonly className: string = 'VarianceScaling';
  readonly distribution: ScalingDistribution;
  constructor(
    readonly scale = 1,
    readonly mode: FanMode = 'fan_in',
    distribution: ScalingDistribution | 'normal' = 'truncated_normal',
    seed: number | null = null,
  ) {
    super(seed);
    if (!(scale > 0)) invalidArgument('VarianceScaling scale', 'a positive number', scale);
    if (!['fan_in', 'fan_out', 'fan_avg'].includes(mode)) {
      invalidArgument('VarianceScaling mode', 'one of fan_in, fan_out, fan_avg', mode);
    }
    // Keras 2 spelled truncated_normal as "normal".
    const dist = distribution === 'normal' ? 'truncated_normal' : distribution;
    if (!['truncated_normal', 'untruncated_normal', 'uniform'].includes(dist)) {
      invalidArgument(
        'VarianceScaling distribution',
        'one of truncated_normal, untruncated_normal, uniform',
        distribution,
      );
    }
    this.distribution = dist;
  }
  apply(shape: readonly number[]): tf.Tensor {
    const [fanIn, fanOut] = computeFans(shape);
    const n =
      this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    const r = this.random();
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return fill(shape, () => (2 * r.uniform() - 1) * limit);
    }
    if (this.distribution === 'untruncated_normal') {
      const stddev = Math.sqrt(variance);
      return fill(shape, () => stddev * r.normal());
    }
    // Stddev of a unit normal truncated to [-2, 2], as Keras corrects for it.
    const stddev = Math.sqrt(variance) / 0.8796256610342398;
    return fill(shape, () => stddev * r.truncatedNormal());
  }
  getConfig(): Record<string, unknown> {
    if (this.className !== 'VarianceScaling') return { seed: this.seed };
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed };
  }
}

function preset(
  className: string,
  scale: number,
  mode: FanMode,
  distribution: ScalingDistribution,
): new (seed?: number | null) => VarianceScaling {
  return class extends VarianceScaling {
    override readonly className = className;
    constructor(seed: number | null = null) {
      super(scale, mode, distribution, seed);
    }
  };
}

/** Glorot (Xavier) uniform: the Keras default kernel initializer. */
export const GlorotUniform = preset('GlorotUniform', 1, 'fan_avg', 'uniform');
/** Glorot (Xavier) normal. */
export const GlorotNormal = preset('GlorotNormal', 1, 'fan_avg', 'truncated_normal');
/** He uniform. */
export const HeUniform = preset('HeUniform', 2, 'fan_in', 'uniform');
/** He normal. */
export const HeNormal = preset('HeNormal', 2, 'fan_in', 'truncated_normal');
/** LeCun uniform. */
export const LecunUniform = preset('LecunUniform', 1, 'fan_in', 'uniform');
/** LeCun normal. */
export const LecunNormal = preset('LecunNormal', 1, 'fan_in', 'truncated_normal');

/** Orthogonal matrix times `gain`: the Keras default recurrent initializer. */
export class Orthogonal extends RandomInitializer {
  readonly className = 'Orthogonal';
  constructor(
    readonly gain = 1,
    seed: number | null = null,
  ) {
    super(seed);
  }
  apply(shape: readonly number[]): tf.Tensor {
    if (shape.length < 2)
      invalidArgument('Orthogonal initializer shape', 'at least 2 dimensions', shape);
    const cols = shape[shape.length - 1];
    const rows = size(shape) / cols;
    return tf.tensor(orthogonalMatrix(rows, cols, this.gain, this.random()), shape as number[]);
  }
  getConfig(): Record<string, unknown> {
    return { gain: this.gain, seed: this.seed };
  }
}

type Factory = (c: Record<string, unknown>) => Initializer;
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const seedOf = (c: Record<string, unknown>): number | null =>
  typeof c.seed === 'number' ? c.seed : null;

const FACTORIES: Record<string, Factory> = {
  Zeros: () => new Zeros(),
  Ones: () => new Ones(),
  Constant: (c) => new Constant(num(c.value, 0)),
  Identity: (c) => new Identity(num(c.gain, 1)),
  RandomNormal: (c) => new RandomNormal(num(c.mean, 0), num(c.stddev, 0.05), seedOf(c)),
  RandomUniform: (c) => new RandomUniform(num(c.minval, -0.05), num(c.maxval, 0.05), seedOf(c)),
  TruncatedNormal: (c) => new TruncatedNormal(num(c.mean, 0), num(c.stddev, 0.05), seedOf(c)),
  VarianceScaling: (c) =>
    new VarianceScaling(
      num(c.scale, 1),
      (c.mode as FanMode) ?? 'fan_in',
      (c.distribution as ScalingDistribution) ?? 'truncated_normal',
      seedOf(c),
    ),
  GlorotUniform: (c) => new GlorotUniform(seedOf(c)),
  GlorotNormal: (c) => new GlorotNormal(seedOf(c)),
  HeUniform: (c) => new HeUniform(seedOf(c)),
  HeNormal: (c) => new HeNormal(seedOf(c)),
  LecunUniform: (c) => new LecunUniform(seedOf(c)),
  LecunNormal: (c) => new LecunNormal(seedOf(c)),
  Orthogonal: (c) => new Orthogonal(num(c.gain, 1), seedOf(c)),
};

/** snake_case, as Keras derives its functional aliases from class names. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Every other name Keras 2.x, tf.keras and Keras 3 have written for these classes: the
 * snake_case aliases, the short aliases of Keras 1/2 (`normal`, `uniform`, `one`, `zero`),
 * tf.keras's `…V2` compatibility names, and Keras 3.0–3.6's `OrthogonalInitializer` and
 * `IdentityInitializer` (keras/src/initializers/__init__.py, tf_keras/initializers/__init__.py).
 */
const NAME_ALIASES: Record<string, string> = {
  normal: 'RandomNormal',
  uniform: 'RandomUniform',
  one: 'Ones',
  zero: 'Zeros',
  IdentityInitializer: 'Identity',
  OrthogonalInitializer: 'Orthogonal',
  glorot_normalV2: 'GlorotNormal',
  glorot_uniformV2: 'GlorotUniform',
  he_normalV2: 'HeNormal',
  he_uniformV2: 'HeUniform',
  lecun_normalV2: 'LecunNormal',
  lecun_uniformV2: 'LecunUniform',
};

/** Keras initializer names rnnkit accepts (class names; snake_case names also work). */
export const INITIALIZER_NAMES = Object.keys(FACTORIES);

for (const className of INITIALIZER_NAMES) {
  NAME_ALIASES[snakeCase(className)] = className;
  NAME_ALIASES[`${className}V2`] = className;
}

/** What may be passed wherever an initializer is expected. */
export type InitializerIdentifier = string | InitializerConfig | Initializer;

/** Resolves a Keras initializer name, serialized config or instance. */
export function getInitializer(argument: string, id: InitializerIdentifier): Initializer {
  if (typeof id === 'object' && id != null && 'apply' in id) return id;
  const className = typeof id === 'string' ? id : (id as InitializerConfig | null)?.class_name;
  const config = typeof id === 'string' ? {} : ((id as InitializerConfig).config ?? {});
  const resolved = className == null ? undefined : (NAME_ALIASES[className] ?? className);
  const factory =
    resolved == null || !Object.hasOwn(FACTORIES, resolved) ? undefined : FACTORIES[resolved];
  if (factory == null) {
    invalidArgument(argument, `an initializer (${INITIALIZER_NAMES.join(', ')})`, id);
  }
  return factory(config);
}

/**
 * An initializer as a saved Keras config names it, or undefined when the config names none.
 * Loading never fails on it: a name or form rnnkit cannot build (a custom class, `STFT`, a
 * config from a newer Keras) only matters when the layer has to create weights, and then
 * {@link UnresolvedInitializer.apply} says so. Either way {@link serializeInitializer} writes
 * back what the file said.
 */
export function initializerFromConfig(argument: string, id: unknown): Initializer | undefined {
  if (id == null) return undefined;
  try {
    return new SavedInitializer(getInitializer(argument, id as InitializerIdentifier), id);
  } catch (e) {
    if (!(e instanceof RnnkitError)) throw e;
    return new UnresolvedInitializer(argument, id, e.message);
  }
}

/** A built initializer that remembers the form its file wrote, for `getConfig()`. */
class SavedInitializer implements Initializer {
  constructor(
    private readonly init: Initializer,
    readonly saved: unknown,
  ) {}
  get className(): string {
    return this.init.className;
  }
  apply(shape: readonly number[]): tf.Tensor {
    return this.init.apply(shape);
  }
  getConfig(): Record<string, unknown> {
    return this.init.getConfig();
  }
}

/**
 * Stands for an initializer a saved config names that rnnkit cannot build. Loaded weights
 * replace what it would have made; creating weights with it throws.
 */
export class UnresolvedInitializer implements Initializer {
  readonly className: string;
  constructor(
    readonly argument: string,
    readonly saved: unknown,
    private readonly reason: string,
  ) {
    const name =
      typeof saved === 'string' ? saved : (saved as { class_name?: unknown })?.class_name;
    this.className = typeof name === 'string' ? name : 'Unknown';
  }
  apply(): tf.Tensor {
    throw new RnnkitError(
      `${this.reason}; the layer has no weights to start from: set them (setWeights) or pass a supported initializer`,
    );
  }
  getConfig(): Record<string, unknown> {
    const config = (this.saved as { config?: unknown })?.config;
    return config != null && typeof config === 'object' ? (config as Record<string, unknown>) : {};
  }
}

/** Keras 3 serialized form of an initializer (the saved form when it came from a file). */
export function serializeInitializer(init: Initializer): InitializerConfig {
  const saved = (init as { saved?: unknown }).saved;
  if (saved !== undefined) return saved as InitializerConfig;
  return {
    module: 'keras.initializers',
    class_name: init.className,
    config: init.getConfig(),
    registered_name: null,
  };
}
