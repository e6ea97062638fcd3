/**
 * Out-of-core scan benchmark (prints a table; asserts nothing — it reports whether the
 * subset check came out identical).
 *
 *   node --conditions=source --import tsx packages/detector/bench/scan-external.ts \
 *     [--gb 0.05] [--memory 512MiB] [--workers 2] [--dir /tmp/tm-scan-external] [--check-mb 4] [--json out.json] [--keep]
 *
 * 1. Generates a JSONL corpus of `--gb` GB under `--dir` (never in the repository) from
 *    the human text of @tracemark/corpora: documents of 4–33 random sentences, about half
 *    with one word swapped for a random word of the vocabulary (so new (window, token)
 *    tuples keep appearing, as in a real corpus), one in ten a verbatim repeat of a recent
 *    document (so corpus-wide dedup matters). Seeded: the same arguments give the same files.
 * 2. Scans it out of core (planScan → map jobs → reduce jobs → finalize, the rule and
 *    buffers scanCorpus uses for `--memory`) in a child process, and reports its peak RSS
 *    (VmHWM of the process: the main thread and every worker thread), wall time per phase,
 *    throughput, spilled runs and disk used.
 * 3. Checks, in another child, that on the first `--check-mb` MB of the corpus (a subset
 *    both modes can scan) the out-of-core scan under the same budget gives the bytes of
 *    the in-memory scanCorpus: summary JSON minus mode fields, and per-document output.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allDocuments } from '@tracemark/corpora';
import { parseSpec, seededRng, WatermarkKey } from '@tracemark/watermark';
import { sha256 } from '@noble/hashes/sha2.js';
import { buffersWithin, chooseScanMode, planScan, runScanLocally, scanCorpus, type ScanSummary } from '../src/index.js';
import { table } from './table.js';

const { values: a } = parseArgs({
  options: {
    gb: { type: 'string', default: '0.05' },
    memory: { type: 'string', default: '512MiB' },
    workers: { type: 'string', default: '2' },
    dir: { type: 'string', default: '/tmp/tm-scan-external' },
    'check-mb': { type: 'string', default: '4' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    phase: { type: 'string' },
  },
});

const key = new WatermarkKey(sha256(new TextEncoder().encode('tracemark scan-external bench key')));
const spec = parseSpec({ version: 1, keyFingerprint: key.fingerprint, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
const memory = parseBytes(a.memory!);
const workers = Number(a.workers);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|k|m|g|kib|mib|gib|kb|mb|gb)$/i.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s}`);
  const unit = m[2]!.toLowerCase();
  const mult = { '': 1, k: 1024, kib: 1024, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30, kb: 1e3, mb: 1e6, gb: 1e9 }[unit]!;
  return Math.round(Number(m[1]) * mult);
}

function statusBytes(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function comparable(s: ScanSummary): string {
  const { workers: _w, mode: _m, pooled, ...rest } = s;
  const { dedupBytes: _b, ...p } = pooled;
  return JSON.stringify({ ...rest, pooled: p });
}

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

/** The generated corpus: files of at most 512 MB, written once per (size, seed). */
function generate(dir: string, bytes: number): string[] {
  const meta = join(dir, 'corpus.json');
  const want = JSON.stringify({ bytes, version: 2 });
  if (existsSync(meta) && readFileSync(meta, 'utf8') === want) return (JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as string[]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // sentences as word lists, JSON-escaped once (generating must not take longer than scanning)
  const esc = (t: string): string => JSON.stringify(t).slice(1, -1);
  const sentences = allDocuments().flatMap((d) => d.text.split(/(?<=[.!?])\s+/)).filter((s) => s.length > 20).map((s) => s.split(' ').map(esc));
  const vocab = [...new Set(sentences.flat().filter((w) => /^[A-Za-z]+$/.test(w)))];
  const rng = seededRng('scan-external corpus');
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const recent: string[] = [];
  const files: string[] = [];
  let written = 0, doc = 0;
  const perFile = 512e6;
  while (written < bytes) {
    const file = join(dir, `part-${String(files.length).padStart(3, '0')}.jsonl`);
    files.push(file);
    const fd = openSync(file, 'w');
    let inFile = 0, buf: string[] = [], bufLen = 0;
    while (inFile < perFile && written + inFile < bytes) {
      let text: string;
      if (recent.length > 0 && rng() < 0.1) text = pick(recent);
      else {
        const n = 4 + Math.floor(rng() * 30);
        const parts: string[] = [];
        for (let i = 0; i < n; i++) {
          const ws = pick(sentences);
          if (rng() < 0.5) {
            const k = Math.floor(rng() * ws.length);
            parts.push([...ws.slice(0, k), pick(vocab), ...ws.slice(k + 1)].join(' '));
          } else parts.push(ws.join(' '));
        }
        text = parts.join(' ');
        if (recent.length < 1000) recent.push(text);
        else recent[Math.floor(rng() * 1000)] = text;
      }
      const line = `{"id":"g${doc++}","text":"${text}"}\n`;
      buf.push(line);
      bufLen += line.length;
      if (bufLen > 8e6) {
        const b = Buffer.from(buf.join(''));
        writeSync(fd, b);
        inFile += b.length;
        buf = [];
        bufLen = 0;
      }
    }
    if (buf.length) {
      const b = Buffer.from(buf.join(''));
      writeSync(fd, b);
      inFile += b.length;
    }
    closeSync(fd);
    written += inFile;
  }
  writeFileSync(join(dir, 'files.json'), JSON.stringify(files));
  writeFileSync(meta, want);
  return files;
}

/** Child: the out-of-core scan of `files` as scanCorpus runs it for this budget, measured. */
async function scanPhase(files: string[], spillDir: string): Promise<void> {
  rmSync(spillDir, { recursive: true, force: true });
  const t0 = performance.now();
  const buffers = buffersWithin(memory, workers);
  if (buffers === undefined) throw new Error('budget below the minimum');
  const choice = chooseScanMode(files.map((path) => ({ path, bytes: statSync(path).size })), memory, workers, spillDir)!;
  const plan = planScan(spec, files, {});
  const planMs = performance.now() - t0;
  const phases: Record<string, number> = { plan: planMs };
  // RSS sampled while the main thread waits for the workers (with workers: 0 only the peak is known)
  const rssByPhase: Record<string, number> = {};
  let maxRss = 0;
  const timer = setInterval(() => (maxRss = Math.max(maxRss, statusBytes('VmRSS'))), 50);
  const s = await runScanLocally(plan, spillDir, key, {
    workers,
    memoryBytes: choice.buffers,
    onPhase: (p, ms) => {
      phases[p] = ms;
      rssByPhase[p] = Math.max(maxRss, statusBytes('VmRSS'));
      maxRss = 0;
    },
  });
  clearInterval(timer);
  const wallMs = performance.now() - t0;
  const reduces = readdirSync(join(spillDir, 'reduce')).filter((f) => f.endsWith('.done.json')).map((f) => JSON.parse(readFileSync(join(spillDir, 'reduce', f), 'utf8')) as { runs: number; tuples: number; distinct: number });
  const disk = duBytes(spillDir);
  console.log(JSON.stringify({ hwm: statusBytes('VmHWM'), rssByPhase, wallMs, phases, shards: plan.shards.length, partitions: 2 ** plan.partitionBits, buffers: choice.buffers, runs: reduces.reduce((x, r) => x + r.runs, 0), tuples: reduces.reduce((x, r) => x + r.tuples, 0), distinct: reduces.reduce((x, r) => x + r.distinct, 0), disk, documents: s.documents, tokens: s.tokens, scored: s.scored, pooled: { scored: s.pooled.scored, log10P: s.pooled.log10P } }));
}

/** Child: the subset out of core (same budget, forced by a spill directory) and in memory; identical? */
async function checkPhase(subset: string, spillDir: string): Promise<void> {
  rmSync(spillDir, { recursive: true, force: true });
  const outExt = `${subset}.ext.jsonl`, outMem = `${subset}.mem.jsonl`;
  rmSync(outExt, { force: true });
  rmSync(outMem, { force: true });
  let t = performance.now();
  const ext = await scanCorpus({ spec, key }, [subset], { memoryBytes: memory, spillDir, workers, output: outExt, keepTop: 5, shardBytes: 1 << 20 });
  const extMs = performance.now() - t;
  t = performance.now();
  const mem = await scanCorpus({ spec, key }, [subset], { workers, output: outMem, keepTop: 5 });
  const memMs = performance.now() - t;
  const identical = comparable(ext) === comparable(mem) && readFileSync(outExt).equals(readFileSync(outMem));
  console.log(JSON.stringify({ identical, extMs, memMs, outOfCore: ext.mode?.outOfCore === true, documents: mem.documents, tokens: mem.tokens, distinct: mem.pooled.dedupEntries, subsetBytes: statSync(subset).size }));
  for (const f of [outExt, outMem]) rmSync(f, { force: true });
  rmSync(spillDir, { recursive: true, force: true });
}

function child(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', import.meta.filename, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed (${r.status ?? r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const dir = a.dir!;
  const corpusDir = join(dir, 'corpus');
  if (a.phase === 'scan') return scanPhase(JSON.parse(readFileSync(join(corpusDir, 'files.json'), 'utf8')) as string[], join(dir, 'spill'));
  if (a.phase === 'check') return checkPhase(join(dir, 'subset.jsonl'), join(dir, 'spill-check'));
  const startLoad = load();
  console.log(`load average at the start: ${startLoad} on ${availableParallelism()} cores`);
  const t0 = performance.now();
  const files = generate(corpusDir, Math.round(Number(a.gb) * 1e9));
  const corpusBytes = files.reduce((x, f) => x + statSync(f).size, 0);
  console.log(`corpus: ${files.length} file(s), ${(corpusBytes / 1e9).toFixed(3)} GB (${((performance.now() - t0) / 1000).toFixed(0)} s to generate or find)`);
  // the subset: the first check-mb MB of whole lines
  const first = readFileSync(files[0]!).subarray(0, Math.round(Number(a['check-mb']) * 1e6));
  writeFileSync(join(dir, 'subset.jsonl'), first.subarray(0, first.lastIndexOf(10) + 1));
  const scan = child(['--phase', 'scan', '--dir', dir, '--memory', a.memory!, '--workers', a.workers!]);
  const check = child(['--phase', 'check', '--dir', dir, '--memory', a.memory!, '--workers', a.workers!]);
  const endLoad = load();
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const ph = scan.phases as Record<string, number>;
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    table(
      ['corpus', 'budget', 'workers', 'peak RSS', 'wall', 'plan / map / reduce / finalize', 'tokens', 'tokens/s', 'MB/s', 'distinct tuples', 'spilled runs', 'scan dir on disk'],
      [[
        `${(corpusBytes / 1e9).toFixed(3)} GB`,
        mib(memory),
        String(workers),
        mib(scan.hwm as number),
        s(scan.wallMs as number),
        [ph.plan!, ph.map!, ph.reduce!, ph.finalize!].map(s).join(' / '),
        (scan.tokens as number).toLocaleString('en'),
        `${((scan.tokens as number) / ((scan.wallMs as number) / 1000) / 1e3).toFixed(0)} k`,
        (corpusBytes / 1e6 / ((scan.wallMs as number) / 1000)).toFixed(2),
        (scan.distinct as number).toLocaleString('en'),
        String(scan.runs),
        `${((scan.disk as number) / 1e9).toFixed(2)} GB`,
      ]],
    ),
  );
  const rss = scan.rssByPhase as Record<string, number>;
  console.log(`peak RSS sampled per phase: map ${mib(rss.map!)}, reduce ${mib(rss.reduce!)}, finalize ${mib(rss.finalize!)} (the process: main thread and worker threads)`);
  console.log(`subset check (${((check.subsetBytes as number) / 1e6).toFixed(1)} MB, ${check.documents} documents, ${(check.tokens as number).toLocaleString('en')} tokens, out of core under the same budget vs in memory): ${check.identical ? 'identical' : 'DIFFERENT'}; wall ${s(check.extMs as number)} out of core vs ${s(check.memMs as number)} in memory (${((check.extMs as number) / (check.memMs as number)).toFixed(2)}×)`);
  console.log(`load average at the end: ${endLoad} on ${availableParallelism()} cores (other processes compete for them)`);
  if (a.json) writeFileSync(a.json, `${JSON.stringify({ date: new Date().toISOString(), args: { gb: Number(a.gb), memory: a.memory, workers }, loadStart: startLoad, loadEnd: endLoad, cores: availableParallelism(), corpusBytes, files: files.length, scan, check }, null, 2)}\n`);
  if (!a.keep) rmSync(dir, { recursive: true, force: true });
  else rmSync(join(dir, 'spill'), { recursive: true, force: true });
}

await main();
