// A process that runs one out-of-core scan job and freezes partway (after `stopAt` documents
// of a map job, or `stopAt` output records of a reduce job) with its partial writes on disk,
// printing "stopped" — for the test to kill -9 it there.
//   node --conditions=source --import tsx external-crash-child.ts <dir> map|reduce <index> <spec index> <stopAt>
import { loadPlan, runMapJob, runReduceJob } from '../src/index.js';
import { SPECS } from './scan-specs.js';

const [dir, kind, index, specIndex, stopAt] = process.argv.slice(2) as [string, string, string, string, string];
const plan = loadPlan(dir);
const stop = (): void => {
  process.stdout.write('stopped\n'); // synchronous on a pipe (Linux)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // frozen until killed
};
if (kind === 'map') {
  await runMapJob(plan, Number(index), dir, SPECS[Number(specIndex)]![1]().key, { force: true, bufferRecords: 8, afterDocument: (d) => d === Number(stopAt) && stop() });
} else {
  await runReduceJob(plan, Number(index), dir, { force: true, memoryBytes: 64 * 1024, afterRecord: (n) => n === Number(stopAt) && stop() });
}
process.stdout.write('finished\n');
