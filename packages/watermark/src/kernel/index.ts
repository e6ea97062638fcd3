// The WebAssembly assembler (shared with the detector's SipHash kernels) and the engine PRF kernels.
export { assembleModule, FnBuilder, I32, I64 } from './wasm.js';
export { philoxWasm, vllmWordsWasm, contextDigestsWasm, sglangHashesWasm, synthidWasm, sbwWasm } from './engine-kernel.js';
export type { SglangKernelKeys, SglangHashes, SynthidKernelParams, SbwKernelMode } from './engine-kernel.js';
