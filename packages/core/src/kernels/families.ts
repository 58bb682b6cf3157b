/**
 * The recurrent families, one row each: every fact about a family that more than one module
 * needs (kernel name, Keras class names, gate and state order, bias layout, weight and output
 * shapes) is written here once. The kernel contract, the layers, the backends, the Keras loader
 * and the benchmarks read it from here.
 *
 * Shapes are written for a family with `spatialRank` spatial axes: 0 for the dense families
 * (SimpleRNN, LSTM, GRU), 1–3 for convolutional ones such as ConvLSTM2D, whose states are
 * feature maps `[batch, *spatial, filters]` and whose kernels carry `kernel_size` in front.
 * `units` means filters there.
 */

/**
 * How a family's bias is laid out: `gates` is one `[G·U]` vector; `resetAfter` is `[2, G·U]`
 * (input bias, then recurrent bias) when the `resetAfter` attribute is true, else `[G·U]`.
 */
export type BiasLayout = 'gates' | 'resetAfter';

/** Kernel attributes beyond the ones every sequence kernel takes. */
export type FamilyAttr =
  'recurrentActivation' | 'resetAfter' | 'strides' | 'padding' | 'dilationRate';

/**
 * One recurrent family. Rows may share a kernel (ConvLSTM1D/2D/3D run one kernel, which reads
 * the spatial rank from its input); rows that do agree on gates, states, bias and attrs.
 */
export interface RecurrentFamily {
  /** Name of the whole-sequence kernel in the contract. */
  readonly kernelName: string;
  /** Keras layer class, e.g. `LSTM`. */
  readonly layerClass: string;
  /** Keras cell class, e.g. `LSTMCell`. */
  readonly cellClass: string;
  /** Keras's default layer name, e.g. `lstm` (`lstm_1`, … after it). */
  readonly layerName: string;
  /** Keras's default cell name, e.g. `lstm_cell`. */
  readonly cellName: string;
  /** Gate blocks of the weight matrices' columns, in Keras order; G is its length. */
  readonly gates: readonly string[];
  /** State tensors in Keras order; the first is the output `h`. */
  readonly states: readonly string[];
  /** Keras config key of U: `units`, or `filters` for a convolutional family. */
  readonly sizeKey: 'units' | 'filters';
  /** Spatial axes of the input and states (0 for dense recurrences). */
  readonly spatialRank: number;
  /** Layout of the bias. */
  readonly bias: BiasLayout;
  /** Attributes the kernel takes beyond the shared ones. */
  readonly attrs: readonly FamilyAttr[];
  /** Keras config keys the layer and cell accept beyond the shared cell keys. */
  readonly configKeys: readonly string[];
}

const CONV_LSTM_CONFIG_KEYS = [
  'recurrent_activation',
  'unit_forget_bias',
  'kernel_size',
  'strides',
  'padding',
  'data_format',
  'dilation_rate',
] as const;

/** What ConvLSTM1D/2D/3D share: LSTM's gates and states over feature maps of `filters`. */
const CONV_LSTM = {
  kernelName: 'RnnkitConvLSTMSequence',
  // Keras 3 names the cell `ConvLSTMCell` (`conv_lstm_cell`) whatever the rank.
  cellClass: 'ConvLSTMCell',
  cellName: 'conv_lstm_cell',
  gates: ['i', 'f', 'c', 'o'],
  states: ['h', 'c'],
  sizeKey: 'filters',
  bias: 'gates',
  attrs: ['recurrentActivation', 'strides', 'padding', 'dilationRate'],
  configKeys: CONV_LSTM_CONFIG_KEYS,
} as const;

/** The families, keyed by Keras layer class. */
export const FAMILIES = {
  SimpleRNN: {
    kernelName: 'RnnkitSimpleRNNSequence',
    layerClass: 'SimpleRNN',
    cellClass: 'SimpleRNNCell',
    layerName: 'simple_rnn',
    cellName: 'simple_rnn_cell',
    gates: ['h'],
    states: ['h'],
    sizeKey: 'units',
    spatialRank: 0,
    bias: 'gates',
    attrs: [],
    configKeys: [],
  },
  LSTM: {
    kernelName: 'RnnkitLSTMSequence',
    layerClass: 'LSTM',
    cellClass: 'LSTMCell',
    layerName: 'lstm',
    cellName: 'lstm_cell',
    gates: ['i', 'f', 'c', 'o'],
    states: ['h', 'c'],
    sizeKey: 'units',
    spatialRank: 0,
    bias: 'gates',
    attrs: ['recurrentActivation'],
    configKeys: ['recurrent_activation', 'unit_forget_bias'],
  },
  GRU: {
    kernelName: 'RnnkitGRUSequence',
    layerClass: 'GRU',
    cellClass: 'GRUCell',
    layerName: 'gru',
    cellName: 'gru_cell',
    gates: ['z', 'r', 'h'],
    states: ['h'],
    sizeKey: 'units',
    spatialRank: 0,
    bias: 'resetAfter',
    attrs: ['recurrentActivation', 'resetAfter'],
    configKeys: ['recurrent_activation', 'reset_after'],
  },
  ConvLSTM1D: { ...CONV_LSTM, layerClass: 'ConvLSTM1D', layerName: 'conv_lstm1d', spatialRank: 1 },
  ConvLSTM2D: { ...CONV_LSTM, layerClass: 'ConvLSTM2D', layerName: 'conv_lstm2d', spatialRank: 2 },
  ConvLSTM3D: { ...CONV_LSTM, layerClass: 'ConvLSTM3D', layerName: 'conv_lstm3d', spatialRank: 3 },
} as const satisfies Record<string, RecurrentFamily>;

/** A family's key in {@link FAMILIES} (its Keras layer class). */
export type FamilyId = keyof typeof FAMILIES;

/** The family keys, in a stable order. */
export const FAMILY_IDS = Object.keys(FAMILIES) as FamilyId[];

/** G: the number of gate blocks of `family`. */
export function gateCount(family: RecurrentFamily): number {
  return family.gates.length;
}

const ROWS: readonly RecurrentFamily[] = FAMILY_IDS.map((id) => FAMILIES[id]);
// Looked up on every kernel call: built once. Where rows share a kernel or a cell class, the
// first row answers (they agree on everything a kernel or a cell class decides).
const BY_KERNEL = new Map([...ROWS].reverse().map((f) => [f.kernelName, f]));
const BY_CLASS = new Map(
  [...ROWS].reverse().flatMap((f) => [[f.cellClass, f] as const, [f.layerClass, f] as const]),
);

/** The family whose kernel is `kernelName` (the first row of a shared kernel), or undefined. */
export function familyOfKernel(kernelName: string): RecurrentFamily | undefined {
  return BY_KERNEL.get(kernelName);
}

/** The family whose Keras layer or cell class is `className`, or undefined. */
export function familyOfClass(className: string): RecurrentFamily | undefined {
  return BY_CLASS.get(className);
}

/** A dimension that may be unknown (`null`) when shapes are inferred before data is seen. */
export type Dim = number | null;

/** What a family's weight shapes depend on. */
export interface WeightShapeArgs<D extends Dim = Dim> {
  /** Input features (input channels for a spatial family). */
  inputDim: D;
  /** Units (filters for a spatial family). */
  units: number;
  /** GRU's reset mode; ignored by families whose bias layout is `gates`. */
  resetAfter?: boolean;
  /** A spatial family's `kernel_size`, one entry per spatial axis; `[]` (default) otherwise. */
  kernelSize?: readonly number[];
  /** Whether the layer has a bias. Default true. */
  useBias?: boolean;
}

/** A weight's Keras name and shape. */
export interface WeightShape<D extends Dim = Dim> {
  name: 'kernel' | 'recurrent_kernel' | 'bias';
  shape: D[];
}

/** The bias shape of `family`: `[G·U]`, or `[2, G·U]` for GRU with `resetAfter`. */
export function biasShape(family: RecurrentFamily, units: number, resetAfter = false): number[] {
  const gu = gateCount(family) * units;
  return family.bias === 'resetAfter' && resetAfter ? [2, gu] : [gu];
}

/**
 * Keras weight shapes, in `get_weights()` order: `kernel [*kernelSize, D, G·U]`,
 * `recurrent_kernel [*kernelSize, U, G·U]`, then `bias` when `useBias`.
 */
export function weightShapes<D extends Dim>(
  family: RecurrentFamily,
  args: WeightShapeArgs<D>,
): WeightShape<D>[] {
  const ks = (args.kernelSize ?? []) as D[];
  const gu = gateCount(family) * args.units;
  const shapes: WeightShape<D>[] = [
    { name: 'kernel', shape: [...ks, args.inputDim, gu as D] },
    { name: 'recurrent_kernel', shape: [...ks, args.units as D, gu as D] },
  ];
  if (args.useBias !== false) {
    shapes.push({
      name: 'bias',
      shape: biasShape(family, args.units, args.resetAfter) as D[],
    });
  }
  return shapes;
}

/** Shapes of the states, in Keras order: each `[batch, *spatial, units]`. */
export function stateShapes<D extends Dim>(
  family: RecurrentFamily,
  batch: D,
  units: number,
  spatial: readonly D[] = [],
): D[][] {
  // Runs on every layer call: no spread for the dense families.
  return family.states.map(() =>
    spatial.length === 0 ? [batch, units as D] : [batch, ...spatial, units as D],
  );
}

/**
 * Shape of the output: `[batch, time, *spatial, units]` with `returnSequences`, else
 * `[batch, *spatial, units]`.
 */
export function outputShape<D extends Dim>(
  batch: D,
  time: D,
  units: number,
  returnSequences: boolean,
  spatial: readonly D[] = [],
): D[] {
  return returnSequences ? [batch, time, ...spatial, units as D] : [batch, ...spatial, units as D];
}
