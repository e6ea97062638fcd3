/**
 * @tracemark/lm/testing — fixtures for tests, not for serving: a generator of tiny,
 * complete local causal-LM directories (ONNX model + tokenizer) that
 * @huggingface/transformers loads. Writing one needs the development dependency
 * onnx-proto; loading one does not.
 */
export { writeTinyCausalLM, tinyVocabulary, TINY_SPECIAL_TOKENS, TINY_OPSET } from './write-tiny-model.js';
export type { TinyModelInfo, TinyModelOptions } from './write-tiny-model.js';
