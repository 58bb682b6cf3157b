/**
 * Keras configs in: `fromKerasConfig({class_name, config})` builds a layer or cell from Keras's
 * `get_config()` JSON (tf.keras 2 and Keras 3 forms). Each layer's `getConfig()` gives it back.
 * The recurrent layers come from ./recurrent_config.ts, which Bidirectional also uses to build
 * its backward copy; this module adds Bidirectional on top.
 */
import { invalidArgument } from '../errors.js';
import { Bidirectional, type MergeMode } from './bidirectional.js';
import type { RecurrentLayer } from './recurrent.js';
import {
  checkKeys,
  RECURRENT_LAYER_CLASSES,
  recurrentFromKerasConfig,
  type FromConfigOptions,
  type KerasLayerJson,
} from './recurrent_config.js';

export type { FromConfigOptions, KerasLayerJson };

/** Anything {@link fromKerasConfig} builds. */
export type KerasLayer = RecurrentLayer | Bidirectional<boolean, never, MergeMode>;

/**
 * Builds a layer from Keras `get_config()` JSON: each family's layer (`SimpleRNN`, `LSTM`,
 * `GRU`, `ConvLSTM1D/2D/3D`), `RNN` (with a cell or stacked cells) and `Bidirectional`. Unknown
 * options raise an error naming the option.
 */
export function fromKerasConfig(json: KerasLayerJson, options: FromConfigOptions = {}): KerasLayer {
  if (json == null || typeof json !== 'object' || typeof json.class_name !== 'string') {
    invalidArgument('fromKerasConfig', 'an object {class_name, config}', json);
  }
  const config = json.config ?? {};
  if (RECURRENT_LAYER_CLASSES.includes(json.class_name)) {
    return recurrentFromKerasConfig(json, options);
  }
  switch (json.class_name) {
    case 'Bidirectional': {
      checkKeys('Bidirectional', config, ['layer', 'merge_mode', 'backward_layer']);
      const inner = fromKerasConfig(config.layer as KerasLayerJson, options);
      if (inner instanceof Bidirectional) {
        invalidArgument('Bidirectional layer', 'a recurrent layer', 'Bidirectional');
      }
      const backward =
        config.backward_layer == null
          ? undefined
          : fromKerasConfig(config.backward_layer as KerasLayerJson, options);
      if (backward instanceof Bidirectional) {
        invalidArgument('Bidirectional backward_layer', 'a recurrent layer', 'Bidirectional');
      }
      const mergeMode = (
        config.merge_mode === undefined ? 'concat' : config.merge_mode
      ) as MergeMode;
      return new Bidirectional(inner, {
        mergeMode,
        backwardLayer: backward,
        name: config.name as string | undefined,
      }) as KerasLayer;
    }
    default:
      invalidArgument(
        'class_name',
        `one of ${[...RECURRENT_LAYER_CLASSES, 'Bidirectional'].join(', ')}`,
        json.class_name,
      );
  }
}
