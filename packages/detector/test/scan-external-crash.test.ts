// The out-of-core scan after crashes: map and reduce jobs killed with SIGKILL while writing
// (real child processes frozen mid-write), or failing with an exception after partial
// writes, leave nothing a rerun misreads — the rerun ends with the bytes of the in-memory
// scan — and a truncated, swapped or foreign file is a clear error, never a miscount.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { planScan, runMapJob, runReduceJob, runScanLocally, savePlan, scanCorpus, scanPaths, type ScanPlan, type ScanSummary } from '../src/index.js';
import { SPECS } from './scan-specs.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const CHILD = join(import.meta.dirname, 'external-crash-child.ts');
const SPEC = 1; // gumbel: real-valued scores
let dir: string;
let corpus: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-ext-crash-'));
  const docs = humanText({ split: 'calibration', sources: ['brown'] }).slice(0, 40).map((d) => d.text);
  const texts = [...docs.slice(0, 30), docs[3]!, '', ...docs.slice(30), docs[7]!];
  corpus = join(dir, 'corpus.jsonl');
  writeFileSync(corpus, texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function comparable(s: ScanSummary): string {
  const { workers: _w, pooled, ...rest } = s;
  const { dedupBytes: _b, ...p } = pooled;
  return JSON.stringify({ ...rest, pooled: p });
}

/** Run a job in a child process frozen at `stopAt`, then kill -9 it. */
async function killMidJob(scanDir: string, kind: 'map' | 'reduce', index: number, stopAt: number): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, scanDir, kind, String(index), String(SPEC), String(stopAt)], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('stopped')) resolve();
      if (out.includes('finished')) reject(new Error('the job finished before its stop point'));
    });
    child.on('exit', () => reject(new Error(`the child exited before its stop point: ${out}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

const tmpFiles = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.tmp') || f.startsWith('.tmp-')) : []);

describe('out-of-core scan: crashes and reruns', () => {
  it('map and reduce jobs killed with SIGKILL mid-write, and jobs failing after partial writes, then rerun: the bytes of the in-memory scan', async () => {
    const w = SPECS[SPEC]![1]();
    const memOut = join(dir, 'mem.jsonl');
    const mem = await scanCorpus(w, [corpus], { idField: 'id', keepTop: 3, output: memOut });
    const scanDir = join(dir, 'scan');
    const plan: ScanPlan = planScan(w.spec, [corpus], { idField: 'id', shardBytes: 60_000, partitionBits: 2 });
    expect(plan.shards.length).toBeGreaterThanOrEqual(3);
    savePlan(scanDir, plan);

    // shard 0 completes, then a forced rerun of it is killed mid-write: the finished files and marker still hold
    const first = await runMapJob(plan, 0, scanDir, w.key);
    await killMidJob(scanDir, 'map', 0, 2);
    expect(tmpFiles(scanPaths.mapDir(scanDir, 0)).length).toBeGreaterThan(0); // the killed rerun had written
    expect(await runMapJob(plan, 0, scanDir, w.key)).toEqual(first); // skipped: its marker and files are intact

    // shard 1 is killed on its first run: no marker, so it is redone
    await killMidJob(scanDir, 'map', 1, 1);
    expect(existsSync(scanPaths.mapDone(scanDir, 1))).toBe(false);
    expect(tmpFiles(scanPaths.mapDir(scanDir, 1)).length).toBeGreaterThan(0);

    // shard 2 fails with an exception after partial writes: nothing of it remains
    await expect(runMapJob(plan, 2, scanDir, w.key, { bufferRecords: 8, afterDocument: (d) => { if (d === 2) throw new Error('injected'); } })).rejects.toThrow('injected');
    expect(existsSync(scanPaths.mapDone(scanDir, 2))).toBe(false);
    expect(tmpFiles(scanPaths.mapDir(scanDir, 2))).toEqual([]);
    // a reduce before every map is done is refused
    await expect(runReduceJob(plan, 0, scanDir)).rejects.toThrow(/map job of shard 1 is not done/);
    for (let s = 1; s < plan.shards.length; s++) await runMapJob(plan, s, scanDir, w.key);

    // a reduce job killed while writing its output (after spilling runs), another failing after partial output
    await killMidJob(scanDir, 'reduce', 2, 50);
    expect(existsSync(scanPaths.reduceDone(scanDir, 2))).toBe(false);
    expect(tmpFiles(scanPaths.reduceDir(scanDir)).length).toBeGreaterThan(0);
    await expect(runReduceJob(plan, 3, scanDir, { memoryBytes: 64 * 1024, afterRecord: (n) => { if (n === 20) throw new Error('injected'); } })).rejects.toThrow('injected');
    expect(existsSync(scanPaths.reduceDone(scanDir, 3))).toBe(false);

    // the rerun finishes what is missing and gives the in-memory bytes
    const out = join(dir, 'ext.jsonl');
    const ext = await runScanLocally(plan, scanDir, w.key, { keepTop: 3, output: out, memoryBytes: 64 * 1024 });
    expect(comparable(ext)).toBe(comparable(mem));
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(memOut, 'utf8'));
  }, 240_000);

  it('a truncated, swapped or foreign file is a clear error naming it', async () => {
    const w = SPECS[SPEC]![1]();
    const scanDir = join(dir, 'scan-bad');
    const plan = planScan(w.spec, [corpus], { idField: 'id', partitionBits: 1 });
    await runScanLocally(plan, scanDir, w.key);
    // truncated map file: its marker records another size
    const mapFile = scanPaths.mapTuples(scanDir, 0, 1);
    const saved = readFileSync(mapFile);
    truncateSync(mapFile, saved.length - 7);
    await expect(runReduceJob(plan, 1, scanDir, { force: true })).rejects.toThrow(/p1\.bin: \d+ bytes, its done marker records/);
    writeFileSync(mapFile, saved);
    // a reduce output replaced by the other partition's (marker sizes made to match): the header says so
    const p0 = scanPaths.reduced(scanDir, 0), p1 = scanPaths.reduced(scanDir, 1);
    copyFileSync(p1, p0);
    const done0 = JSON.parse(readFileSync(scanPaths.reduceDone(scanDir, 0), 'utf8'));
    done0.files['p0.bin'] = readFileSync(p0).length;
    writeFileSync(scanPaths.reduceDone(scanDir, 0), JSON.stringify(done0));
    await expect(runScanLocally(plan, scanDir, w.key)).rejects.toThrow(/p0\.bin: is not the file expected here/);
    // another scan's plan in the directory is refused; so are its files
    const other = planScan(w.spec, [corpus], { idField: 'id', partitionBits: 2 });
    await expect(runScanLocally(other, scanDir, w.key)).rejects.toThrow(/holds another scan/);
    await expect(runReduceJob(other, 0, scanDir)).rejects.toThrow(/belongs to another scan plan/);
  }, 120_000);
});
