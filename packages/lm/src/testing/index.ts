/**
 * @tracemark/lm/testing — fixtures for tests, not for serving: a generator of tiny,
 * complete local causal-LM directories (ONNX model + tokenizer) that
 * @huggingface/transformers loads. Writing one needs the development dependency
 * onnx-proto; loading one does not. Also a tokenizer.json with a tiktoken encoding's vocabulary.
 */
export { writeTinyCausalLM, tinyVocabulary, TINY_SPECIAL_TOKENS, TINY_OPSET } from './write-tiny-model.js';
export type { TinyModelInfo, TinyModelOptions } from './write-tiny-model.js';
export { tiktokenTokenizerJson, writeTokenizerJson, type TokenizerJson } from './tiktoken-tokenizer-json.js';
