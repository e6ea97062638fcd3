export { OnnxLanguageModel, loadOnnxLanguageModel } from './onnx-model.js';
export type { OnnxModelOptions } from './onnx-model.js';
export { WatermarkLogitsProcessor } from './logits-processor.js';
export type { WatermarkProcessorMode, WatermarkProcessorOptions } from './logits-processor.js';
export {
  configureLocalOnly,
  inspectModelDir,
  loadLocalTokenizer,
  loadTransformersCausalLM,
  defaultTokenizerId,
  ONNX_DTYPE_SUFFIX,
} from './local.js';
export type { LocalModelDir, LocalModelOptions, OnnxDtype } from './local.js';
export { sparseFromLogits, DEFAULT_TAIL_MASS } from './sparse.js';
export { loadChatTemplate, endOfTurnTokens, ChatTemplateError } from './chat-template.js';
export type { ChatTemplateMessage, ModelChatTemplate } from './chat-template.js';
export { specTokenizerMismatch, suggestedTokenizerId } from './tokenizer-match.js';
