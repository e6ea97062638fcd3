/**
 * @tracemark/scan-queue — corpus scans across machines: the detector's map and reduce
 * scan jobs on a BullMQ queue in Redis. `runQueuedScan` coordinates a scan (plan,
 * enqueue, wait, finalize); `startScanWorker` runs jobs on any machine that mounts the
 * shared directory. Node only (bullmq, ioredis); the detector itself stays free of them.
 */
export { runQueuedScan } from './queued-scan.js';
export type { QueuedScanOptions, QueuedScanResult } from './queued-scan.js';
export { startScanWorker, DEFAULT_QUEUE_NAME, DEFAULT_LOCK_MS, DEFAULT_STALLED_MS, DEFAULT_MAX_STALLED } from './worker.js';
export type { ScanWorkerOptions, RunningWorker } from './worker.js';
export { parseRedisUrl, redactedUrl, connectionOptions } from './redis-url.js';
export type { RedisTarget } from './redis-url.js';
export { assertRedisReachable } from './reach.js';
export { JobPayloadSchema, MapPayloadSchema, ReducePayloadSchema, parsePayload, jobIdOf, PAYLOAD_VERSION } from './payload.js';
export type { JobPayload, MapPayload, ReducePayload } from './payload.js';
export { checkSharedDir, prepareSharedDir } from './shared-dir.js';
export { WaitInterrupted, DEFAULT_ATTEMPTS, BAD_INPUT } from './phases.js';
export { ScanQueueError } from './errors.js';
export type { ScanQueueErrorKind } from './errors.js';
export type { JobOverrides, JobResult } from './run-job.js';
