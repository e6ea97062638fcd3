// The WebAssembly assembler (shared with the detector's SipHash kernels) and the engine PRF kernels.
export { assembleModule, FnBuilder, I32, I64 } from './wasm.js';
export { philoxWasm, vllmWordsWasm, contextDigestsWasm, sglangHashesWasm } from './engine-kernel.js';
export type { SglangKernelKeys, SglangHashes } from './engine-kernel.js';
