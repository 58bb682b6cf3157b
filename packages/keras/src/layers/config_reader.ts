/**
 * Strict reading of a layer config: each option is read with its expected type, options that do
 * not change inference are acknowledged, and anything left over is an error naming the layer,
 * its class and the option.
 */
import { describe, fail } from '../errors.js';
import type { LayerContext, LayerJson } from './types.js';

/** Options any layer may carry that do not change inference. */
const IGNORED = new Set([
  'name',
  'trainable',
  'batch_input_shape',
  'batch_shape',
  'input_shape',
  'batch_size',
  'activity_regularizer',
  'build_config',
  'autocast',
  'input_dtype',
]);

/** Keys ending like these hold training-only settings (initializers, regularizers, constraints). */
const IGNORED_SUFFIXES = ['_initializer', '_regularizer', '_constraint'];

/** Reads a layer config, remembering which options were used. */
export class ConfigReader {
  readonly name: string;
  readonly className: string;
  private readonly config: Record<string, unknown>;
  private readonly used = new Set<string>();

  constructor(json: LayerJson, ctx: LayerContext, owner?: string) {
    this.config = json.config ?? {};
    if (typeof this.config !== 'object' || Array.isArray(this.config)) {
      fail(
        `layer of class ${json.class_name}: expected a config object, got ${describe(this.config)}`,
      );
    }
    const name = this.config.name;
    this.name = typeof name === 'string' ? name : (owner ?? '(unnamed)');
    this.className = json.class_name;
    void ctx;
    this.checkDtype();
  }

  /** `layer 'name' (Class)` for messages. */
  get label(): string {
    return `layer '${this.name}' (${this.className})`;
  }

  /** Throws an error about `option`. */
  error(option: string, problem: string): never {
    fail(`${this.label}: option '${option}' ${problem}`);
  }

  has(key: string): boolean {
    return this.config[key] != null;
  }

  /** The raw value (marks the option as used). */
  raw(key: string): unknown {
    this.used.add(key);
    return this.config[key];
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v == null) return fallback;
    if (typeof v !== 'boolean') this.error(key, `must be true or false, got ${describe(v)}`);
    return v;
  }

  number(key: string, fallback: number): number {
    const v = this.raw(key);
    if (v == null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.error(key, `must be a number, got ${describe(v)}`);
    return v;
  }

  /** A positive integer no larger than `max`. */
  positiveInt(key: string, max = 2 ** 31 - 1): number {
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > max) {
      this.error(key, `must be a positive integer up to ${max}, got ${describe(v)}`);
    }
    return v;
  }

  string(key: string, fallback: string): string {
    const v = this.raw(key);
    if (v == null) return fallback;
    if (typeof v !== 'string') this.error(key, `must be a string, got ${describe(v)}`);
    return v;
  }

  /** Requires the option to be absent or one of `allowed` (compared as JSON). */
  only(key: string, allowed: unknown[], why = 'is not supported'): void {
    const v = this.raw(key);
    if (v === undefined) return;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) {
      this.error(
        key,
        `= ${describe(v)} ${why} (supported: ${allowed.map((a) => describe(a)).join(', ')})`,
      );
    }
  }

  /** Marks options as read without using them (they do not change inference). */
  ignore(...keys: string[]): void {
    for (const k of keys) this.used.add(k);
  }

  /** Throws on the first option neither used nor known to be irrelevant. */
  finish(): void {
    for (const key of Object.keys(this.config)) {
      if (this.used.has(key) || IGNORED.has(key) || key === 'dtype') continue;
      if (IGNORED_SUFFIXES.some((s) => key.endsWith(s))) continue;
      this.error(key, `= ${describe(this.config[key])} is not supported`);
    }
  }

  /** Only float32 computation is supported; a mixed or other policy would change the numbers. */
  private checkDtype(): void {
    if (this.className === 'InputLayer') return;
    const d = this.config.dtype;
    if (d == null) return;
    let policy: unknown = d;
    if (typeof d === 'object') {
      const cfg = (d as { config?: { name?: unknown } }).config;
      policy = cfg?.name;
    }
    if (policy !== 'float32') {
      fail(
        `${this.label}: option 'dtype' = ${describe(d)} is not supported (rnnkit computes in float32)`,
      );
    }
  }
}
