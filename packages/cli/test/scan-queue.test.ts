/**
 * `tracemark scan --queue` and `tracemark worker` on a throwaway Redis (redis-server on a
 * loopback port; skipped loudly without it, mandatory under TRACEMARK_CI=1):
 *  - three real worker processes run a scan of several shards (two of them with a 64 KiB
 *    reduce budget, so partitions spill to disk); one is killed with SIGKILL
 *    while it holds a job; BullMQ's stalled-job check hands that job to another worker,
 *    and the scan prints exactly what `tracemark scan` prints for the same corpus, with a
 *    byte-identical per-document output file;
 *  - the survivors stop on SIGTERM with exit code 0; a worker signalled while it runs a job
 *    finishes it first, and a second signal hands the job back to the queue instead;
 *  - an engine spec (vllm/gumbel, its own key file) and a Gumbel spec give the plain scan's
 *    bytes too;
 *  - Redis killed and restarted empty mid-scan: the coordinator adds the lost jobs again
 *    (one warning) and prints the same output;
 *  - the jobs in Redis carry the key file's path, never the key;
 *  - a malformed line in a later shard fails the scan while earlier shards still run;
 *  - a bad --queue URL, an unreachable Redis, a missing shared directory and flags that
 *    do not go together are one line each, exit 2, nothing written.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { ScanOutputSchema } from '../src/schemas.js';
import { runInProcess, spawnCli } from './helpers/cli.js';
import { makeFixture, type Fixture } from './helpers/fixtures.js';
import { describeRedis, useRedis } from './helpers/redis.js';
import { startScanWorker } from '@tracemark/scan-queue';

let fx: Fixture;
let dir: string;
let corpus: string;
const workers: ChildProcess[] = [];

beforeAll(() => {
  fx = makeFixture({ seed: 'scan-queue', payload: { bits: 16, digitBits: 2 } });
  dir = mkdtempSync(join(tmpdir(), 'tracemark-scan-queue-'));
  const docs = humanText({ split: 'calibration', sources: ['brown'] }).slice(0, 60).map((d) => d.text);
  // repeated documents and a shared paragraph: corpus-wide dedup crosses shards
  const texts = [...docs.slice(0, 40), docs[3]!, `${docs[10]!.slice(0, 400)} ${docs[50]!}`, '', ...docs.slice(40), docs[7]!, docs[25]!];
  corpus = join(dir, 'corpus.jsonl');
  writeFileSync(corpus, texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
});

afterAll(() => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(fx.dir, { recursive: true, force: true });
});

interface Spawned {
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(url: string, name: string, extra: string[] = []): Spawned {
  const proc = spawnCli(['worker', '--queue', url, '--name', name, '--lock-ms', '3000', '--stalled-ms', '1000', '--max-stalled', '5', ...extra]);
  workers.push(proc);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = '';
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.re.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    lines,
    exited,
    waitFor: (re, ms = 45_000) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`worker ${name}: no line matching ${re} within ${ms} ms\n${lines.join('\n')}\n${stderr}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}

describeRedis('scan --queue across worker processes', () => {
  const redis = useRedis();

  it('survives a worker killed with SIGKILL mid-scan and prints what `tracemark scan` prints', async () => {
    const url = redis().url;
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    // the survivors' reduce jobs get a tiny memory budget: partitions spill to disk, and the result must not change
    const [a, b, c] = [spawnWorker(url, 'w-a'), spawnWorker(url, 'w-b', ['--memory', '64KiB']), spawnWorker(url, 'w-c', ['--memory', '64KiB'])];
    await Promise.all([a, b, c].map((w) => w.waitFor(/^worker .* ready on redis:\/\/127\.0\.0\.1:\d+ \(concurrency 1\)$/)));

    const queued = runInProcess(['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--id-field', 'id', '--top', '5', '--json', corpus,
      '--queue', url, '--shared-dir', shared, '--shards', '6', '--output', join(dir, 'queued.jsonl')], { timeoutMs: 90_000 });
    // kill worker a while it holds its first job (its thread is still loading the detector and tokenizer)
    const started = await a.waitFor(/^start \S+/);
    const killedJob = started.split(' ')[1]!;
    a.proc.kill('SIGKILL');
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(a.lines.some((l) => l.startsWith(`done ${killedJob} `))).toBe(false);

    const q = await queued;
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    // the killed worker's job was taken over after its lock expired, and finished by a survivor
    const survivors = [b, c];
    expect(survivors.some((w) => w.lines.some((l) => l.startsWith(`done ${killedJob} `)))).toBe(true);
    expect(survivors.some((w) => w.lines.some((l) => l.startsWith(`start ${killedJob} `) && / stalled [1-9]/.test(l)))).toBe(true);
    // (distinct ids: on a very busy box a live worker's lock can lapse too, and its job is then redone — harmlessly)
    const done = new Set([...b.lines, ...c.lines].filter((l) => l.startsWith('done ')).map((l) => l.split(' ')[1]!));
    const shards = (JSON.parse(readFileSync(join(shared, 'plan.json'), 'utf8')) as { shards: unknown[] }).shards.length;
    expect(shards).toBeGreaterThanOrEqual(5);
    expect([...done].filter((id) => /-map-/.test(id)).length).toBe(shards);
    expect([...done].filter((id) => /-reduce-/.test(id)).length).toBe(16);
    expect([...b.lines, ...c.lines].some((l) => /^done \S+-reduce-\d+ .* [1-9]\d* files spilled$/.test(l))).toBe(true);

    const plain = await runInProcess(['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--id-field', 'id', '--top', '5', '--json', corpus, '--output', join(dir, 'plain.jsonl')], { timeoutMs: 60_000 });
    expect(plain.code).toBe(0);
    const mode = (stdout: string): unknown => {
      const { output: _o, ...rest } = ScanOutputSchema.parse(JSON.parse(stdout));
      return rest;
    };
    expect(JSON.stringify(mode(q.stdout))).toBe(JSON.stringify(mode(plain.stdout)));
    expect(ScanOutputSchema.parse(JSON.parse(q.stdout)).documents).toBe(64);
    expect(readFileSync(join(dir, 'queued.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'plain.jsonl'), 'utf8'));

    // SIGTERM: the idle survivors stop and exit 0
    for (const w of survivors) w.proc.kill('SIGTERM');
    for (const w of survivors) {
      expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(w.lines.at(-1)).toMatch(/^worker w-[bc] stopped$/);
    }
  }, 120_000);

  it('SIGTERM lets the running job finish; a second SIGTERM hands it back to the queue; both exit 0', async () => {
    const url = redis().url;
    const shared = join(dir, 'shared-stop');
    mkdirSync(shared);
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, readFileSync(corpus, 'utf8').split('\n').slice(0, 30).join('\n') + '\n');
    const base = ['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--id-field', 'id', '--json', small];
    const x = spawnWorker(url, 'w-finish');
    await x.waitFor(/ ready on /);
    const queued = runInProcess([...base, '--queue', url, '--shared-dir', shared, '--shards', '3', '--partition-bits', '1'], { timeoutMs: 90_000 });
    const finishing = (await x.waitFor(/^start \S+/)).split(' ')[1]!;
    x.proc.kill('SIGTERM');
    expect(await x.exited).toEqual({ code: 0, signal: null });
    const stopAt = x.lines.findIndex((l) => l.startsWith('stopping: running jobs finish'));
    expect(stopAt).toBeGreaterThan(0);
    expect(x.lines.slice(stopAt).filter((l) => l.startsWith('start '))).toEqual([]); // nothing new after the signal
    expect(x.lines.slice(stopAt).some((l) => l.startsWith(`done ${finishing} `))).toBe(true);

    const y = spawnWorker(url, 'w-release');
    const releasing = (await y.waitFor(/^start \S+/)).split(' ')[1]!;
    y.proc.kill('SIGTERM');
    await y.waitFor(/^stopping: running jobs finish/);
    y.proc.kill('SIGTERM');
    expect(await y.exited).toEqual({ code: 0, signal: null });
    expect(y.lines).toContain(`released ${releasing}`);
    expect(y.lines.some((l) => l.startsWith(`done ${releasing} `))).toBe(false);

    const z = spawnWorker(url, 'w-rest');
    const q = await queued;
    expect(q.code).toBe(0);
    // the released job went back to the queue (no attempt used up, not a stall) and z did it
    expect(z.lines.some((l) => l.startsWith(`start ${releasing} `) && / stalled 0\)$/.test(l))).toBe(true);
    expect(z.lines.some((l) => l.startsWith(`done ${releasing} `))).toBe(true);
    const plain = await runInProcess(base);
    expect(q.stdout).toBe(plain.stdout);
    z.proc.kill('SIGTERM');
    expect(await z.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('an engine spec (vllm/gumbel) and a Gumbel spec through the queue: the plain scan\'s bytes', async () => {
    const url = redis().url;
    // an in-process worker (its jobs on threads) is enough here: this is about the specs and keys, not processes
    const worker = await startScanWorker({ queue: url, concurrency: 2, lockMs: 5000, stalledMs: 2000 });
    try {
      const engineSpec = join(dir, 'vllm.spec.json'), engineKey = join(dir, 'vllm.key.json'), gumbelSpec = join(dir, 'gumbel.spec.json');
      expect((await runInProcess(['spec', 'init', '--engine', 'vllm/gumbel', '--out', engineSpec, '--key-out', engineKey])).code).toBe(0);
      expect((await runInProcess(['spec', 'init', '--key', fx.keyPath, '--scheme', 'gumbel', '--width', '2', '--out', gumbelSpec])).code).toBe(0);
      for (const [label, spec, key] of [['vllm/gumbel', engineSpec, engineKey], ['gumbel', gumbelSpec, fx.keyPath]] as const) {
        const shared = join(dir, `shared-${label.replace(/\W/g, '-')}`);
        mkdirSync(shared);
        const base = ['scan', '--spec', spec, '--key', key, '--id-field', 'id', '--top', '3', '--json', corpus];
        const out = (name: string): string => join(dir, `${label.replace(/\W/g, '-')}-${name}.jsonl`);
        const q = await runInProcess([...base, '--queue', url, '--shared-dir', shared, '--shards', '4', '--output', out('queued')], { timeoutMs: 90_000 });
        expect(q.stderr, label).toBe('');
        expect(q.code, label).toBe(0);
        const plain = await runInProcess([...base, '--output', out('plain')], { timeoutMs: 60_000 });
        const strip = (stdout: string): unknown => ({ ...ScanOutputSchema.parse(JSON.parse(stdout)), output: undefined });
        expect(JSON.stringify(strip(q.stdout)), label).toBe(JSON.stringify(strip(plain.stdout)));
        expect(readFileSync(out('queued'), 'utf8'), label).toBe(readFileSync(out('plain'), 'utf8'));
      }
    } finally {
      await worker.stop('release');
    }
  }, 120_000);

  it('Redis restarted empty mid-scan: the coordinator adds the lost jobs again and the result is the same', async () => {
    const url = redis().url;
    const lines: string[] = [];
    const worker = await startScanWorker({ queue: url, lockMs: 3000, stalledMs: 1000, log: (l) => lines.push(l) });
    try {
      const shared = join(dir, 'shared-outage');
      mkdirSync(shared);
      const base = ['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--id-field', 'id', '--json', corpus];
      const queued = runInProcess([...base, '--queue', url, '--shared-dir', shared, '--shards', '6'], { timeoutMs: 90_000 });
      const deadline = Date.now() + 60_000;
      while (lines.filter((l) => /^done \S+-map-/.test(l)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await redis().restart(); // every queue, job and lock is gone
      const q = await queued;
      expect(q.code).toBe(0);
      expect(q.stderr).toMatch(/^tracemark: warning: job \S+-map-\d+ is no longer in the queue \(Redis restarted, or the queue was cleared\): adding the phase's missing jobs again\n$/);
      const plain = await runInProcess(base);
      expect(q.stdout).toBe(plain.stdout);
    } finally {
      await worker.stop('release');
    }
  }, 120_000);

  it('Redis holds the key file\'s path, never the key', async () => {
    const url = redis().url;
    const shared = join(dir, 'shared-keys');
    mkdirSync(shared);
    const secret = (JSON.parse(readFileSync(fx.keyPath, 'utf8')) as { key: string }).key;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // no worker yet: the map jobs wait in Redis while we read everything it holds
    const queued = runInProcess(['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--json', corpus, '--queue', url, '--shared-dir', shared, '--shards', '2'], { timeoutMs: 90_000 });
    const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', String(redis().port), '--raw', ...args], { encoding: 'utf8' });
    const deadline = Date.now() + 30_000;
    while (!/-map-1$/m.test(cli('--scan')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const keys = cli('--scan').split('\n').filter(Boolean);
    const dump = keys.map((k) => (cli('TYPE', k).trim() === 'hash' ? cli('HGETALL', k) : '')).join('\n');
    expect(dump).toContain(`"key":${JSON.stringify(fx.keyPath)}`);
    for (const form of [secret, Buffer.from(secret, 'hex').toString('base64'), Buffer.from(secret, 'hex').toString('base64url')]) expect(dump).not.toContain(form);
    const worker = await startScanWorker({ queue: url });
    try {
      const q = await queued;
      expect(q.code).toBe(0);
      expect(q.stderr).toMatch(/^tracemark: warning: no worker is connected to the queue yet: start `tracemark worker --queue redis:\/\/127\.0\.0\.1:\d+` on each machine; the jobs wait for them\n$/);
    } finally {
      await worker.stop('finish');
    }
  }, 120_000);

  it('a malformed line in a later shard fails the scan at once: one line naming file and line, exit 2', async () => {
    const url = redis().url;
    const lines: string[] = [];
    const worker = await startScanWorker({ queue: url, concurrency: 2, log: (l) => lines.push(l) });
    try {
      const shared = join(dir, 'shared-bad-line');
      mkdirSync(shared);
      const big = join(dir, 'a-big.jsonl'), bad = join(dir, 'b-bad.jsonl');
      writeFileSync(big, readFileSync(corpus, 'utf8').repeat(4));
      writeFileSync(bad, '{"id":"ok","text":"fine"}\n{"id":"broken","text":\n');
      const q = await runInProcess(['scan', '--spec', fx.specPath, '--key', fx.keyPath, big, bad, '--queue', url, '--shared-dir', shared], { timeoutMs: 90_000 });
      expect(q.code).toBe(2);
      expect(q.stdout).toBe('');
      const err = q.stderr.split('\n').filter(Boolean);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^tracemark: map job of shard 1 \(.*b-bad\.jsonl\): .*b-bad\.jsonl.*2/);
      // shard 0 (the big file) was still running: the failure of the later shard did not wait for it
      expect(lines.some((l) => /^done \S+-map-0 /.test(l))).toBe(false);
      expect(lines.some((l) => /^failed \S+-map-1: /.test(l))).toBe(true);
    } finally {
      await worker.stop('release');
    }
  }, 120_000);

  it('bad URL, unreachable Redis, missing shared directory, flags that do not go together: one line, exit 2', async () => {
    const scan = ['scan', '--spec', fx.specPath, '--key', fx.keyPath, corpus];
    const shared = join(dir, 'shared-bad');
    mkdirSync(shared);
    const cases: [string[], RegExp][] = [
      [[...scan, '--queue', 'http://127.0.0.1:6379', '--shared-dir', shared], /--queue "http:\/\/127\.0\.0\.1:6379": unsupported scheme "http"/],
      [[...scan, '--queue', 'redis://u:hunter2@127.0.0.1:1', '--shared-dir', shared], /cannot reach Redis at redis:\/\/u:\*\*\*@127\.0\.0\.1:1: connect ECONNREFUSED/],
      [[...scan, '--queue', redis().url, '--shared-dir', join(dir, 'nope')], /--shared-dir .*nope: no such directory/],
      [[...scan, '--queue', redis().url], /--queue needs --shared-dir/],
      [[...scan, '--shared-dir', shared], /--shared-dir needs --queue/],
      [[...scan, '--queue', redis().url, '--shared-dir', shared, '--workers', '2'], /drop --workers/],
      [[...scan, '--queue', redis().url, '--shared-dir', shared, '--checkpoint', join(dir, 'ck')], /drop --checkpoint/],
      [['worker', '--queue', 'redis://127.0.0.1:1'], /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/],
      [['worker', '--queue', 'redis//nope'], /--queue "redis\/\/nope": not a URL/],
      [['worker', '--queue', redis().url, '--memory', 'lots'], /--memory must be a size such as 512MiB/],
    ];
    for (const [args, why] of cases) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(why);
      expect(r.stderr).not.toContain('hunter2');
    }
    // nothing was written to the shared directory
    expect(readdirSync(shared)).toEqual([]);
    expect(existsSync(join(dir, 'ck'))).toBe(false);
  }, 60_000);
});
