/**
 * The entry of a job thread (job-threads.ts): runs one job per message, in order, and
 * answers with its result or one line of error. A DetectorError that a rerun would
 * repeat (malformed input, a key file that is missing or does not match the spec) is not retryable; an I/O
 * error (a shared directory that hiccuped) and anything unexpected are.
 */
import { parentPort } from 'node:worker_threads';
import { isDetectorError } from '@tracemark/detector';
import { runJob } from './run-job.js';
import type { ThreadReply, ThreadRequest } from './job-threads.js';

const port = parentPort;
if (port === null) throw new Error('job-thread.ts runs as a worker thread');

let queue = Promise.resolve();
port.on('message', (m: ThreadRequest) => {
  queue = queue.then(async () => {
    let reply: ThreadReply;
    try {
      reply = { id: m.id, ok: true, result: await runJob(m.payload, m.overrides) };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // CliError: the key file (missing, wrong for the spec) — configuration, not luck
      const retryable = isDetectorError(e) ? e.code === 'IO_ERROR' || e.code === 'WORKER_FAILED' : !(e instanceof Error && e.name === 'CliError');
      reply = { id: m.id, ok: false, message: message.split('\n')[0]!, retryable };
    }
    port.postMessage(reply);
  });
});
