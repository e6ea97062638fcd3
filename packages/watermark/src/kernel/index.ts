// The WebAssembly assembler, the SipHash emitters (shared with the detector's kernels), the
// batched token PRF of the samplers, and the engine PRF kernels.
export { assembleModule, FnBuilder, I32, I64, V128 } from './wasm.js';
export { addrOf, forLoop, loadSipKey, sipAbsorb, sipFinish, sipInit, sipLocals, sipRound, sipRoundV } from './sip-emit.js';
export type { SipLocals } from './sip-emit.js';
export { PrfBatch, prfBatch } from './prf-batch.js';
export type { PrfBackend, PrfWords } from './prf-batch.js';
export { philoxWasm, philoxManyWasm, vllmWordsWasm, contextDigestsWasm, sglangHashesWasm, synthidWasm, sbwWasm } from './engine-kernel.js';
export type { SglangKernelKeys, SglangHashes, SynthidKernelParams, SbwKernelMode } from './engine-kernel.js';
