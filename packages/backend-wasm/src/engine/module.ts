/**
 * Loading rnnkit's WebAssembly module: feature detection, compilation (once per variant) and
 * instantiation against a tfjs-backend-wasm memory.
 *
 * The module imports `env.memory` and defines no memory or data of its own, so an instance works
 * directly on tfjs tensors. Variants: `simd` (128-bit SIMD) and `relaxed` (adds fused
 * multiply-add through `f32x4.relaxed_madd`), each for a plain or a shared memory (the threaded
 * tfjs-backend-wasm build and the worker threads use a shared one). Only the shared-memory builds
 * are embedded; the plain-memory modules are derived from them (`unshared.ts`).
 */
import { WASM_BINARIES } from './binaries.generated.js';
import { withUnsharedMemory } from './unshared.js';

// Argument runs the module's entry points share; pointers are byte offsets into the shared memory.
/** The sizes of a sequence gradient call. */
type GradSizes = [family: number, batch: number, steps: number, inputDim: number, units: number];
/** The sizes of a ConvLSTM gradient call (patch depths are taps · channels). */
type ConvGradSizes = [
  batch: number,
  steps: number,
  filters: number,
  positions: number,
  inDepth: number,
  recDepth: number,
];
/** The sizes and geometry of a ConvLSTM call. */
type ConvSizes = [
  batch: number,
  steps: number,
  channels: number,
  filters: number,
  frameSize: number,
  positions: number,
  inTaps: number,
  recTaps: number,
];
/** A ConvLSTM call's input and geometry tables. */
type ConvInputs = [x: number, inSource: number, recSource: number];
/** The unpacked weights, initial states and masks of a call. */
type ForwardInputs = [
  kernel: number,
  recurrent: number,
  bias: number,
  h0: number,
  c0: number,
  mask: number,
  recurrentMask: number,
];
/** The output gradients taken and the gradients written by a backward call. */
type Gradients = [
  dOutput: number,
  dH: number,
  dC: number,
  dx: number,
  dKernel: number,
  dRecurrent: number,
  dBias: number,
  dh0: number,
  dc0: number,
];
/** The outputs of a forward call. */
type Outputs = [output: number, hOut: number, cOut: number];
/** The scratch, flag bits and activation codes of a call. */
type Options = [scratch: number, flags: number, activation: number, recurrentActivation: number];
/** The thread arguments of a call run by several threads (one thread: 0, 1, 0, 0). */
type ThreadArgs = [sync: number, threads: number, thread: number, canWait: number];

/** The functions the module exports; pointers are byte offsets into the shared memory. */
export interface RnnkitWasmExports {
  packedCols(gates: number, units: number): number;
  packMatrix(
    src: number,
    rows: number,
    ld: number,
    colOff: number,
    gates: number,
    units: number,
    dst: number,
  ): void;
  /**
   * Packs a 3×3 recurrent kernel `[3, 3, filters, 4·filters]` at `src` as Winograd's transformed
   * kernel (`assembly/winograd.ts`): 16 packed `[filters, packedCols(4, filters)]` matrices.
   */
  packWinograd(src: number, filters: number, dst: number): void;
  gemm(
    a: number,
    lda: number,
    m: number,
    k: number,
    bp: number,
    ns: number,
    init: number,
    c: number,
    ldc: number,
  ): void;
  scratchBytes(
    family: number,
    batch: number,
    steps: number,
    units: number,
    threads: number,
  ): number;
  packBias(family: number, bias: number, units: number, dstX: number, dstRh: number): void;
  inputGates(family: number): number;
  recurrentGates(family: number): number;
  /**
   * Runs a whole sequence; with `threads` > 1, thread `thread`'s part of a call that `threads`
   * threads run together, meeting at barriers on `sync` (one thread: 0, 1, 0, 0). `canWait`
   * (0/1) lets the thread sleep at a barrier instead of spinning.
   */
  sequence(
    family: number,
    batch: number,
    steps: number,
    inputDim: number,
    units: number,
    x: number,
    wk: number,
    bx: number,
    wr: number,
    wr2: number,
    brh: number,
    h0: number,
    c0: number,
    mask: number,
    recurrentMask: number,
    out: number,
    hOut: number,
    cOut: number,
    scratch: number,
    flags: number,
    activation: number,
    recurrentActivation: number,
    sync: number,
    threads: number,
    thread: number,
    canWait: number,
  ): void;
  /** Bytes of scratch a `sequenceGrad` call needs (`assembly/backward.ts`). */
  gradScratchBytes(...sizes: GradSizes): number;
  /**
   * Gradients of a whole sequence call (`assembly/backward.ts`): recomputes the forward pass
   * (unless `saved` is not 0: the block where `sequenceGradForward` left them), then
   * runs it backwards, writing `dx`, `dW`, `dU`, `db`, `dh0` and `dc0` (LSTM).
   */
  sequenceGrad(
    ...args: [...GradSizes, x: number, ...ForwardInputs, ...Gradients, ...Options, saved: number]
  ): void;
  /** Bytes of the activations a `sequenceGrad` backward pass reads. */
  gradSavedBytes(...sizes: GradSizes): number;
  /**
   * The forward pass of a call whose gradients will be asked for (`assembly/backward.ts`):
   * writes the outputs and leaves the activations in `saved` (`gradSavedBytes` bytes).
   */
  sequenceGradForward(
    ...args: [...GradSizes, x: number, ...ForwardInputs, ...Outputs, ...Options, saved: number]
  ): void;
  /**
   * Bytes of scratch a `convLSTM` call run by `threads` threads needs (patch depths are
   * taps · channels; `width` as `convLSTM`'s).
   */
  convScratchBytes(
    batch: number,
    positions: number,
    filters: number,
    inDepth: number,
    recDepth: number,
    width: number,
    threads: number,
  ): number;
  /** Threads (of `threads`) a ConvLSTM call of `batch` items keeps busy. */
  convUsefulThreads(batch: number, threads: number): number;
  /**
   * Runs a whole ConvLSTM sequence (`assembly/conv_lstm.ts`); with `threads` > 1, thread
   * `thread`'s batch items of a call that `threads` threads run together (one thread: 0, 1, 0, 0).
   * With `width` not 0, the recurrent convolution (3×3 over `positions / width` × `width`
   * images) runs as Winograd's F(2×2, 3×3) with `wu`, and `wr` is unused.
   */
  convLSTM(
    ...args: [
      ...ConvSizes,
      ...ConvInputs,
      wk: number,
      bx: number,
      wr: number,
      wu: number,
      width: number,
      h0: number,
      c0: number,
      mask: number,
      recurrentMask: number,
      ...Outputs,
      ...Options,
      ...ThreadArgs,
    ]
  ): void;
  /**
   * Bytes of scratch a `convLSTMGrad` or `convLSTMGradForward` call run by `threads` threads
   * needs (patch depths are taps · channels).
   */
  convGradScratchBytes(...args: [...ConvGradSizes, threads: number]): number;
  /**
   * Gradients of a whole ConvLSTM call (`assembly/conv_lstm_backward.ts`): recomputes the
   * forward pass (unless `saved` is not 0: the block where `convLSTMGradForward` left it), then
   * runs it backwards, writing `dx`, `dKernel`, `dRecurrent`, `dBias`, `dh0`
   * and `dc0`. Weights unpacked, geometry and threads as for `convLSTM` (with several threads,
   * `convLSTMGradReduce` writes the weight gradients).
   */
  convLSTMGrad(
    ...args: [
      ...ConvSizes,
      ...ConvInputs,
      ...ForwardInputs,
      ...Gradients,
      ...Options,
      saved: number,
      ...ThreadArgs,
    ]
  ): void;
  /**
   * After a `convLSTMGrad` call run by `threads` (> 1) threads: sums the threads' kernel,
   * recurrent kernel and bias gradients and writes them.
   */
  convLSTMGradReduce(
    ...args: [
      ...ConvGradSizes,
      scratch: number,
      saved: number,
      threads: number,
      dKernel: number,
      dRecurrent: number,
      dBias: number,
    ]
  ): void;
  /** Bytes of the activations a `convLSTMGrad` backward pass reads. */
  convGradSavedBytes(...sizes: ConvGradSizes): number;
  /**
   * The forward pass of a ConvLSTM call whose gradients will be asked for
   * (`assembly/conv_lstm_backward.ts`): writes the outputs and leaves the activations in `saved`
   * (`convGradSavedBytes` bytes).
   */
  convLSTMGradForward(
    ...args: [
      ...ConvSizes,
      ...ConvInputs,
      ...ForwardInputs,
      ...Outputs,
      ...Options,
      saved: number,
      ...ThreadArgs,
    ]
  ): void;
  /** Threads (of `threads`) a call with `units` units keeps busy. */
  usefulThreads(units: number, threads: number): number;
  /** Bytes of the zeroed sync block `sequence` takes when run by several threads. */
  syncBytes(): number;
}

/** Which instruction set the module uses: plain SIMD, or SIMD with relaxed fused multiply-add. */
export type WasmVariant = 'simd' | 'relaxed';

// (func (param v128 v128 v128) (result v128) local.get 0..2, then the opcode under test)
function probe(opcode: number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    8,
    1,
    96,
    3,
    123,
    123,
    123,
    1,
    123,
    3,
    2,
    1,
    0,
    10,
    opcode.length + 10,
    1,
    opcode.length + 8,
    0,
    32,
    0,
    32,
    1,
    32,
    2,
    ...opcode,
    11,
  ]);
}

/** True when this engine validates 128-bit SIMD (`f32x4.add`). */
export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe([253, 228, 1, 253, 228, 1]));
}

/** True when this engine validates relaxed SIMD (`f32x4.relaxed_madd`). */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe([253, 133, 2]));
}

let forcedVariant: WasmVariant | null = null;

/**
 * Forces a module variant for instances created from now on (`null` restores detection).
 * Forcing `relaxed` on an engine without relaxed SIMD throws.
 */
export function setWasmVariant(variant: WasmVariant | null): void {
  if (variant === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error(
      "setWasmVariant: expected an engine with relaxed SIMD for variant 'relaxed', got one without it",
    );
  }
  if (variant != null && variant !== 'simd' && variant !== 'relaxed') {
    throw new Error(`setWasmVariant: expected 'simd', 'relaxed' or null, got ${String(variant)}`);
  }
  forcedVariant = variant;
}

/** The variant new instances use: forced, else relaxed where the engine validates it. */
export function selectedVariant(): WasmVariant {
  return forcedVariant ?? (relaxedSimdSupported() ? 'relaxed' : 'simd');
}

function binaryName(variant: WasmVariant, shared: boolean): string {
  return shared ? `${variant}Shared` : variant;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The binary of a variant for a shared or a plain memory. */
export function variantBinary(variant: WasmVariant, shared: boolean): Uint8Array<ArrayBuffer> {
  const binary = decode(WASM_BINARIES[variant]);
  return shared ? binary : withUnsharedMemory(binary);
}

const compiled = new Map<string, WebAssembly.Module>();
const pending = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles a variant ahead of use, off the main thread where the engine allows. */
export function compileVariant(variant: WasmVariant, shared: boolean): Promise<WebAssembly.Module> {
  const name = binaryName(variant, shared);
  const done = compiled.get(name);
  if (done != null) return Promise.resolve(done);
  let promise = pending.get(name);
  if (promise == null) {
    promise = WebAssembly.compile(variantBinary(variant, shared)).then((mod) => {
      compiled.set(name, mod);
      pending.delete(name);
      return mod;
    });
    pending.set(name, promise);
  }
  return promise;
}

function compiledSync(variant: WasmVariant, shared: boolean): WebAssembly.Module {
  const name = binaryName(variant, shared);
  let mod = compiled.get(name);
  if (mod == null) {
    // Synchronous compilation: fine in Node and workers; browsers may refuse it on the main
    // thread for large modules, which is why init() compiles ahead of time.
    mod = new WebAssembly.Module(variantBinary(variant, shared));
    compiled.set(name, mod);
  }
  return mod;
}

/** True when `memory` is backed by a SharedArrayBuffer (threaded tfjs-backend-wasm). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** Instantiates the selected variant over `memory`. */
export function instantiate(memory: WebAssembly.Memory): {
  exports: RnnkitWasmExports;
  variant: WasmVariant;
} {
  const variant = selectedVariant();
  const mod = compiledSync(variant, isSharedMemory(memory));
  const instance = new WebAssembly.Instance(mod, { env: { memory } });
  return { exports: instance.exports as unknown as RnnkitWasmExports, variant };
}
