/**
 * `tracemark worker --queue redis://…`: runs the map and reduce jobs of `tracemark scan
 * --queue` until stopped, one line per job event on stdout. SIGINT or SIGTERM: take no
 * new job, let the running ones finish, exit 0; a second signal hands the running jobs
 * back to the queue at once (another worker redoes them) and exits 0. A worker killed
 * outright (SIGKILL, a machine lost) loses its jobs' locks, and BullMQ's stalled-job
 * check gives them to another worker after at most --lock-ms + --stalled-ms.
 */
import type { Command } from 'commander';
import { failure, usage } from '@tracemark/detector';
import { intFlag } from '../io/args.js';
import { sizeFlag } from '../io/size.js';
import { println } from '../io/output.js';

interface WorkerFlags {
  queue: string;
  concurrency: string;
  key?: string;
  memory?: string;
  lockMs: string;
  stalledMs: string;
  maxStalled: string;
  name?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the jobs of `tracemark scan --queue` (map and reduce jobs from a BullMQ queue in Redis) until stopped')
    .requiredOption('--queue <url>', 'the Redis of the queue: redis://host:port[/db] (rediss:// for TLS)')
    .option('--concurrency <n>', 'jobs run at once, each on its own thread', '1')
    .option('--key <file>', 'this machine\'s copy of the watermark key file (default: the path the scan was started with)')
    .option('--memory <size>', 'memory budget of each reduce job on this machine, e.g. 2GiB (default: the scan\'s --memory, else 64 MiB); a partition larger than it spills to disk')
    .option('--lock-ms <ms>', 'a job\'s lock lives this long without renewal: a dead worker\'s job is handed on after at most lock + stalled interval', '30000')
    .option('--stalled-ms <ms>', 'how often to look for jobs whose worker died', '15000')
    .option('--max-stalled <n>', 'a job whose worker died more than n times fails', '2')
    .option('--name <name>', 'shown in the log and stored on the jobs (default host:pid)')
    .addHelpText(
      'after',
      `
Every worker must read the corpus files, the key file and the scan's --shared-dir at the
same absolute paths as the machine that started the scan (or get its own --key). No key
material goes through Redis: jobs carry file paths. Give all workers of a queue the same
--lock-ms, --stalled-ms and --max-stalled. Stop with SIGINT/SIGTERM (running jobs finish;
a second signal hands them back to the queue); exit 0.`,
    )
    .action(async (f: WorkerFlags) => {
      const concurrency = intFlag('concurrency', f.concurrency, 1, 64);
      const lockMs = intFlag('lock-ms', f.lockMs, 1000, 3_600_000);
      const stalledMs = intFlag('stalled-ms', f.stalledMs, 500, 3_600_000);
      const maxStalled = intFlag('max-stalled', f.maxStalled, 0, 1000);
      const memoryBytes = f.memory !== undefined ? sizeFlag('memory', f.memory) : undefined;
      const q = await import('@tracemark/scan-queue');
      let w: Awaited<ReturnType<typeof q.startScanWorker>>;
      try {
        w = await q.startScanWorker({
          queue: f.queue,
          concurrency,
          lockMs,
          stalledMs,
          maxStalled,
          ...(f.key !== undefined ? { key: f.key } : {}),
          ...(memoryBytes !== undefined ? { memoryBytes } : {}),
          ...(f.name !== undefined ? { name: f.name } : {}),
          log: (line) => println(line),
        });
      } catch (e) {
        if (e instanceof q.ScanQueueError) throw e.kind === 'usage' ? usage(e.message) : failure(e.message);
        throw e;
      }
      let signals = 0;
      const onSignal = (): void => {
        signals++;
        println(signals === 1 ? 'stopping: running jobs finish (signal again to hand them back now)' : 'stopping: handing running jobs back to the queue');
        void w.stop(signals === 1 ? 'finish' : 'release');
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      println(`worker ${w.name} ready on ${q.parseRedisUrl(f.queue).display} (concurrency ${concurrency})`);
      try {
        await w.closed;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      println(`worker ${w.name} stopped`);
    });
}
