export { Embedder } from './embedder.js';
export type { EmbedderOptions, SparseOptions } from './embedder.js';
export { PlainSampler } from './plain.js';
export { seededRng } from './rng.js';
export { boundFactor, maxBoundFactor } from './bounds.js';
export { tournament } from './tournament.js';
export { DEFAULT_EPSILON } from './options.js';
export type { SparseStats } from './candidates.js';
export type { Rng, SamplingOptions, SparseDistribution, StepResult } from './types.js';
