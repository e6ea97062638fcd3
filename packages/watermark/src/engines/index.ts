// Engine-native watermarks, read bit for bit: vLLM, SGLang, HF transformers, lm-watermarking,
// SynthID-Text. See README.md in this directory for the matrix and the surprises.
export { philox4x32, mulHi32 } from './philox.js';
export { Mt19937, torchRandperm, torchRandpermPrefix, torchRandint } from './mt19937.js';
export { murmur3Words } from './murmur3.js';
export { jenkinsHash } from './jenkins.js';
export { fma } from './fma.js';
export { fsum } from './fsum.js';
export { glibcLog1p, sleefLog1p } from './libm.js';
export { toPythonHex } from './float-bits.js';
export * from './stats.js';
export { toBigInt, wordsOf, type U64Words } from './u64.js';
export { vllmContexts, type VllmPositionContext } from './vllm-context.js';
export {
  absorbContext,
  philoxWord,
  philoxLegacyWord,
  hmacKeyBytes,
  hmacWord,
  vllmUniform,
  type VllmPrfName,
} from './vllm-prf.js';
export * from './vllm.js';
export * from './sbw.js';
export * from './sglang.js';
export { KGW_TABLE_SIZE, kgwTable, minHashSeed, hfSeedMod } from './kgw-tables.js';
export * from './hf-kgw.js';
export * from './lm-watermarking.js';
export * from './synthid.js';
export * from './reader/index.js';
export * from './embed/index.js';
