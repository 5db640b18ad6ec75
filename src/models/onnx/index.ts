/** Local ONNX models (embedder and cross-encoder reranker); `onnxruntime-node` loads on first use only. */
export {
  type OnnxCrossEncoderOptions,
  OnnxCrossEncoderReranker,
} from './cross-encoder-reranker.js';
export {
  huggingFaceCacheDir,
  type ModelFiles,
  type ResolveModelOptions,
  resolveModelFiles,
} from './model-files.js';
export { OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';
export type { Pooling } from './pooling.js';
export { loadOnnxRuntime, onnxRuntimePackage } from './runtime.js';
