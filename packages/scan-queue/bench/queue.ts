/**
 * Queue scan benchmark (prints a table; asserts nothing but the result's equality).
 *
 *   node --conditions=source --import tsx packages/scan-queue/bench/queue.ts [--copies N] [--shards S] [--workers 1,2] [--json FILE]
 *
 * Measured in one run, on human text from @tracemark/corpora written to a JSONL file
 * (`--copies N` repeats it with a per-copy prefix so tuples stay mostly distinct):
 *   - the single-thread in-memory scan (scanCorpus, 0 workers): the reference;
 *   - `runQueuedScan` on a throwaway Redis with 1, then 2 `tracemark worker` processes
 *     (real processes, from TypeScript sources), wall time split into the map phase, the
 *     reduce phase and the coordinator's finalize, and the workers' CPU (from
 *     /proc/<pid>/stat) per token for the map and reduce jobs. Each worker first runs a
 *     warm-up scan (its process, connections and module cache are warm), but a worker
 *     starts a fresh job thread per phase (a reduce job never runs on a map thread), so
 *     each phase includes one thread start per worker: compiling TypeScript under tsx and,
 *     for map jobs, loading the tokenizer;
 *   - the load average before and after: the box may be shared.
 * The queued summary is checked to equal the in-memory one (JSON, minus `workers`, `mode`
 * and `pooled.dedupBytes`, which name the mode).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allDocuments } from '@tracemark/corpora';
import { scanCorpus, type ScanSummary } from '@tracemark/detector';
import { exportKeyFile, generateKey, parseSpec } from '@tracemark/watermark';
import { runQueuedScan } from '../src/index.js';
import { startRedis } from '../src/testing/redis-server.js';

const CLI = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(0)} k`);
/** The summary without the fields that name the mode: workers, mode, and pooled.dedupBytes (table memory vs bytes on disk). */
const strip = (s: ScanSummary): string => {
  const { workers: _w, mode: _m, pooled, ...rest } = s;
  const { dedupBytes: _b, ...p } = pooled;
  return JSON.stringify({ ...rest, pooled: p });
};

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz on Linux)
}

function startWorker(url: string, name: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'worker', '--queue', url, '--name', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      if (/ ready on /.test(buf)) resolve(p);
    });
    p.on('exit', (code) => reject(new Error(`worker ${name} exited (${code})`)));
  });
}

interface Row {
  mode: string;
  wallS: number;
  mapS?: number;
  reduceS?: number;
  finalizeS?: number;
  workerCpuNs?: number;
  /** Worker CPU per token in the map phase and in the reduce phase; coordinator CPU per token in finalize. */
  mapCpuNs?: number;
  reduceCpuNs?: number;
  finalizeCpuNs?: number;
  same?: boolean;
}

async function main(): Promise<void> {
  const copies = Number(arg('copies') ?? 1);
  const shards = Number(arg('shards') ?? 8);
  const workerCounts = (arg('workers') ?? '1,2').split(',').map(Number);
  console.log(`load average at the start: ${load()} on ${availableParallelism()} cores`);
  const dir = mkdtempSync(join(tmpdir(), 'tm-queue-bench-'));
  const redis = await startRedis();
  const procs: ChildProcess[] = [];
  try {
    const key = generateKey();
    const spec = parseSpec({ version: 1, keyFingerprint: key.fingerprint, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
    const keyPath = join(dir, 'key.json');
    writeFileSync(keyPath, JSON.stringify(exportKeyFile(key)), { mode: 0o600 });
    const base = allDocuments().map((d) => d.text);
    const docs: string[] = [];
    for (let c = 0; c < copies; c++) for (const d of base) docs.push(c === 0 ? d : `${c} ${d}`);
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, docs.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const warm = [0, 1, 2, 3].map((i) => join(dir, `warm${i}.jsonl`));
    warm.forEach((p, i) => writeFileSync(p, JSON.stringify({ text: `warm up ${i}` }) + '\n'));

    let t0 = performance.now();
    const c0 = process.cpuUsage();
    const reference = await scanCorpus({ spec, key }, [corpus], { workers: 0 });
    const refS = (performance.now() - t0) / 1000;
    const refC = process.cpuUsage(c0);
    const tokens = reference.tokens;
    const refCpuNs = ((refC.user + refC.system) / 1e6 / tokens) * 1e9;
    console.log(`corpus: ${docs.length} documents, ${tokens.toLocaleString('en')} tokens, ${(readFileSync(corpus).length / 2 ** 20).toFixed(1)} MiB; ${shards} shards requested, 16 partitions`);
    const rows: Row[] = [{ mode: 'scanCorpus, 0 workers (in memory)', wallS: refS }];

    for (const n of workerCounts) {
      for (const p of procs.splice(0)) p.kill('SIGKILL');
      const ws = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(redis.url, `bench-${n}-${i}`)));
      procs.push(...ws);
      // warm-up: one tiny shard per worker (each takes one while the others are busy)
      const warmDir = join(dir, `warm-${n}`);
      mkdirSync(warmDir);
      await runQueuedScan(spec, key, warm.slice(0, Math.max(n, 2)), { queue: redis.url, sharedDir: warmDir, keyPath, pollMs: 50 });
      const shared = join(dir, `shared-${n}`);
      mkdirSync(shared);
      const cpu0 = ws.map((p) => cpuSeconds(p.pid!));
      const marks: Record<string, number> = {};
      const cpuAt: Record<string, number> = {};
      const workerCpu = (): number => ws.reduce((s, p) => s + cpuSeconds(p.pid!), 0);
      let finalizeCpu0 = 0;
      t0 = performance.now();
      const r = await runQueuedScan(spec, key, [corpus], {
        queue: redis.url,
        sharedDir: shared,
        keyPath,
        shards,
        pollMs: 50,
        onProgress: (phase) => {
          if (marks[phase] !== undefined) return;
          marks[phase] = performance.now();
          cpuAt[phase] = workerCpu();
          if (phase === 'finalize') finalizeCpu0 = process.cpuUsage().user + process.cpuUsage().system;
        },
      });
      const end = performance.now();
      const finalizeCpu = (process.cpuUsage().user + process.cpuUsage().system - finalizeCpu0) / 1e6;
      const cpu = workerCpu() - cpu0.reduce((a, b) => a + b, 0);
      const mapEnd = marks.reduce ?? end;
      const reduceEnd = marks.finalize ?? end;
      rows.push({
        mode: `queue, ${n} worker process${n > 1 ? 'es' : ''}`,
        wallS: (end - t0) / 1000,
        mapS: (mapEnd - t0) / 1000,
        reduceS: (reduceEnd - mapEnd) / 1000,
        finalizeS: (end - reduceEnd) / 1000,
        workerCpuNs: (cpu / tokens) * 1e9,
        mapCpuNs: ((cpuAt.reduce! - cpu0.reduce((a, b) => a + b, 0)) / tokens) * 1e9,
        reduceCpuNs: ((cpuAt.finalize! - cpuAt.reduce!) / tokens) * 1e9,
        finalizeCpuNs: (finalizeCpu / tokens) * 1e9,
        same: strip(r.summary) === strip(reference),
      });
    }
    const head = ['mode', 'wall s', 'tokens/s', 'vs in-memory', 'map s', 'map tokens/s per worker', 'reduce s', 'finalize s', 'finalize tokens/s', 'CPU ns/token map | reduce | finalize', 'same result'];
    const body = rows.map((r) => {
      const n = Number(/(\d+) worker/.exec(r.mode)?.[1] ?? 0);
      return [
        r.mode, r.wallS.toFixed(2), fmt(tokens / r.wallS), `${(refS / r.wallS).toFixed(2)}×`,
        r.mapS?.toFixed(2) ?? '–', r.mapS ? fmt(tokens / r.mapS / n) : '–', r.reduceS?.toFixed(2) ?? '–', r.finalizeS?.toFixed(2) ?? '–',
        r.finalizeS ? fmt(tokens / r.finalizeS) : '–',
        r.mapCpuNs === undefined ? `${refCpuNs.toFixed(0)} (whole scan)` : `${r.mapCpuNs.toFixed(0)} | ${r.reduceCpuNs!.toFixed(0)} | ${r.finalizeCpuNs!.toFixed(0)}`,
        r.same === undefined ? '–' : r.same ? 'yes' : 'NO',
      ];
    });
    const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
    console.log([line(head), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line)].join('\n'));
    console.log('(map s includes planning and enqueueing; map and reduce CPU: all worker processes (/proc), warm-up excluded; finalize CPU: the coordinator)');
    console.log(`load average at the end: ${load()} on ${availableParallelism()} cores (other processes compete for them)`);
    const out = arg('json');
    if (out) writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), tokens, documents: docs.length, shards, rows }, null, 2) + '\n');
    if (rows.some((r) => r.same === false)) process.exitCode = 1;
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
