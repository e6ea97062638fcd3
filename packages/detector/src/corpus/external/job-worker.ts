/**
 * A worker thread that runs the out-of-core scan's map and reduce jobs for
 * runScanLocally (local.ts), one at a time, as messages arrive. The key arrives in memory
 * (workerData), never on disk or in a message log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEngineKeyFile, WatermarkKey } from '@tracemark/watermark';
import { DetectorError } from '../../errors.js';
import { runMapJob } from './map-job.js';
import { runReduceJob } from './reduce-job.js';
import type { JobRequest, JobReply, JobWorkerInit } from './local.js';

const init = workerData as JobWorkerInit;
const port = parentPort!;
const key = init.key.kind === 'tracemark' ? new WatermarkKey(init.key.bytes) : parseEngineKeyFile(init.key.file);

port.on('message', (m: JobRequest | { type: 'close' }) => {
  if (m.type === 'close') return port.close();
  const run = m.type === 'map' ? runMapJob(init.plan, m.shard, init.dir, key) : runReduceJob(init.plan, m.partition, init.dir, { memoryBytes: m.memoryBytes });
  run.then(
    () => port.postMessage({ ok: true } satisfies JobReply),
    (e: unknown) => port.postMessage({ ok: false, code: e instanceof DetectorError ? e.code : 'WORKER_FAILED', message: (e as Error).message } satisfies JobReply),
  );
});
