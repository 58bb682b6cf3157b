/** Keras `InputLayer`: the model's entry point; its saved batch size is ignored. */
import { fail } from '../errors.js';
import { BaseLayer } from './base.js';
import { ConfigReader } from './config_reader.js';
import { readBatchShape } from './shapes.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape } from './types.js';

/** Input dtypes a model may declare. */
export type InputDtype = 'float32' | 'int32';

/** Keras `InputLayer`. */
export class InputLayer extends BaseLayer {
  /** Shape with a null batch. */
  readonly shape: Shape;
  readonly dtype: InputDtype;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const key = r.has('batch_shape') ? 'batch_shape' : 'batch_input_shape';
    if (!r.has(key)) fail(`${r.label}: the config has no batch_shape or batch_input_shape`);
    this.shape = readBatchShape(r.raw(key), r.label, key);
    this.dtype = inputDtype(r.raw('dtype'), r.label);
    r.only('sparse', [false, null], 'is not supported (dense inputs only)');
    r.only('ragged', [false, null], 'is not supported (dense inputs only)');
    r.only('optional', [false, null]);
    r.only('input_tensor', [null]);
    r.finish();
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    if (inputShapes.length !== 0) fail(`${this.label}: takes no inputs`);
    return [this.shape];
  }

  call(args: CallArgs): CallResult {
    return { outputs: args.inputs, masks: [null] };
  }
}

/** Maps a Keras input dtype onto the tensor dtype used for it. */
export function inputDtype(value: unknown, label: string): InputDtype {
  const name =
    typeof value === 'object' && value != null
      ? (value as { config?: { name?: unknown } }).config?.name
      : value;
  if (
    name == null ||
    name === 'float32' ||
    name === 'float64' ||
    name === 'float16' ||
    name === 'bfloat16'
  ) {
    return 'float32';
  }
  if (
    name === 'int32' ||
    name === 'int64' ||
    name === 'int16' ||
    name === 'int8' ||
    name === 'uint8'
  )
    return 'int32';
  if (name === 'bool') return 'int32';
  fail(`${label}: option 'dtype' = ${JSON.stringify(name)} is not a supported input dtype`);
}
