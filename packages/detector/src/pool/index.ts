export { EvidencePool } from './evidence-pool.js';
export type { EvidencePoolOptions, PoolTuples, PoolAddOptions, PoolAddResult, PooledResult, NovelResult, DedupScope, TupleSink } from './evidence-pool.js';
export { FisherAccumulator } from './fisher.js';
export type { FisherResult, FisherState } from './fisher.js';
export { TupleCounts } from './counts.js';
export type { CountsState } from './counts.js';
export { PoolSnapshotSchema, PoolSnapshotShape } from './snapshot.js';
export type { PoolSnapshot } from './snapshot.js';
