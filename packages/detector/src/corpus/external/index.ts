/** The out-of-core (external) exact scan: plan, map and reduce jobs, finalize, and a local runner. */
export { planScan, parsePlan, planHash, ScanPlanSchema, DEFAULT_SHARD_BYTES, DEFAULT_PARTITION_BITS, type ScanPlan, type Shard, type PlanOptions } from './plan.js';
export { runMapJob, type MapJobOptions } from './map-job.js';
export { runReduceJob, DEFAULT_REDUCE_MEMORY, type ReduceJobOptions } from './reduce-job.js';
export { finalizeScan, type FinalizeOptions } from './finalize.js';
export { runScanLocally, savePlan, loadPlan, type LocalScanOptions } from './local.js';
export { buffersWithin, chooseScanMode, dedupCapacity, minimumBudget, RUNTIME_RESERVE_BYTES, THREAD_RESERVE_BYTES, type ModeChoice } from './choose.js';
export { scanPaths, MapDoneSchema, ReduceDoneSchema, type MapDone, type ReduceDone } from './done.js';
