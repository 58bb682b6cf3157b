/**
 * rnnkit's WebAssembly module: packed SIMD GEMM and whole-sequence recurrent kernels.
 *
 * The module owns no memory and no data: it imports tfjs-backend-wasm's linear memory and works
 * on tensors in place; every pointer argument is a byte offset into that memory.
 */
export { packedCols, packMatrix, packVector, gemm } from './gemm';
export { packWinograd } from './winograd';
export {
  scratchBytes,
  packBias,
  sequence,
  usefulThreads,
  inputGates,
  recurrentGates,
  syncBytes,
} from './sequence';
export { gradScratchBytes, gradSavedBytes, sequenceGrad, sequenceGradForward } from './backward';
export { convScratchBytes, convLSTM, convUsefulThreads } from './conv_lstm';
export {
  convGradSavedBytes,
  convGradScratchBytes,
  convLSTMGrad,
  convLSTMGradForward,
  convLSTMGradReduce,
} from './conv_lstm_backward';
