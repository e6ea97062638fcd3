/**
 * What the queue layer reads from outside: the --queue URL (parsed, its password never
 * shown), the job payloads a worker takes from Redis (zod: anything else is refused with
 * one line), and the shared directory (missing, not a directory, or holding another
 * scan: one line each). No Redis needed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planScan } from '@tracemark/detector';
import { parseSpec, WatermarkKey } from '@tracemark/watermark';
import { checkSharedDir, jobIdOf, parsePayload, parseRedisUrl, prepareSharedDir, redactedUrl, ScanQueueError } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'tracemark-queue-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ScanQueueError);
    expect((e as ScanQueueError).kind).toBe('usage');
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('--queue URL', () => {
  it('parses host, port, db, TLS and credentials', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toMatchObject({ host: '127.0.0.1', port: 6380, db: 0, tls: false, display: 'redis://127.0.0.1:6380' });
    expect(parseRedisUrl('redis://cache.internal')).toMatchObject({ host: 'cache.internal', port: 6379, db: 0 });
    expect(parseRedisUrl('rediss://[::1]:7000/3')).toMatchObject({ host: '::1', port: 7000, db: 3, tls: true });
    const t = parseRedisUrl('redis://scan:p%40ss%3Aw0rd@10.0.0.5:6379/1');
    expect(t).toMatchObject({ username: 'scan', password: 'p@ss:w0rd', db: 1, display: 'redis://scan:***@10.0.0.5:6379/1' });
  });

  it('refuses what is not a Redis URL, in one line that never shows a password', () => {
    const cases: [string, RegExp][] = [
      ['localhost:6379', /unsupported scheme|not a URL/],
      ['http://127.0.0.1:6379', /unsupported scheme "http"/],
      ['redis://127.0.0.1:99999', /not a URL|bad port/],
      ['redis://127.0.0.1:6379/x', /database number/],
      ['redis://127.0.0.1:6379/0?tls=1', /query strings/],
      ['redis://u:hunter2@127.0.0.1:6379/db', /database number/],
      ['redis://u:hunter2@:6379', /no host|not a URL/],
    ];
    for (const [url, why] of cases) {
      const m = usageMessage(() => parseRedisUrl(url));
      expect(m, url).toMatch(why);
      expect(m.split('\n')).toHaveLength(1);
      expect(m).not.toContain('hunter2');
    }
    expect(redactedUrl('redis://u:hunter2@h:1')).toBe('redis://u:***@h:1');
    expect(redactedUrl('u:hunter2@h:1')).not.toContain('hunter2');
  });
});

describe('job payloads', () => {
  const good = { v: 1, run: 'a1b2c3d4e5f60718', dir: '/shared/scan', plan: '/shared/scan/plan.json', planHash: 'f'.repeat(32), key: '/etc/tracemark/key.json', kind: 'map', shard: 3 };

  it('accepts a map and a reduce job and names them by run, phase and index', () => {
    const m = parsePayload(good);
    expect(m).toEqual({ ok: true, payload: good });
    const { shard: _s, ...common } = good;
    const r = parsePayload({ ...common, kind: 'reduce', partition: 15, memoryBytes: 1 << 26 });
    expect(r.ok).toBe(true);
    if (r.ok && m.ok) {
      expect(jobIdOf(m.payload as { run: string; kind: 'map'; shard: number })).toBe('a1b2c3d4e5f60718-map-3');
      expect(jobIdOf(r.payload as { run: string; kind: 'reduce'; partition: number })).toBe('a1b2c3d4e5f60718-reduce-15');
    }
  });

  it('refuses anything else with one line naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /\(root\)/],
      [{ ...good, v: 2 }, /^bad job payload: v:/],
      [{ ...good, kind: 'shell' }, /kind/],
      [{ ...good, shard: -1 }, /shard/],
      [{ ...good, shard: 1.5 }, /shard/],
      [{ ...good, plan: 'plan.json' }, /plan: must be an absolute path/],
      [{ ...good, planHash: 'xyz' }, /planHash/],
      [{ ...good, run: 'RUN' }, /run/],
      [{ ...good, keyBytes: 'AAAA' }, /Unrecognized key|keyBytes/],
      [{ ...good, kind: 'reduce', partition: 0 }, /Unrecognized key|shard/],
      [{ ...Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'shard')), kind: 'reduce', partition: 0, memoryBytes: 0 }, /memoryBytes/],
    ];
    for (const [data, why] of bad) {
      const r = parsePayload(data);
      expect(r.ok, JSON.stringify(data)).toBe(false);
      if (!r.ok) {
        expect(r.error).toMatch(why);
        expect(r.error.split('\n')).toHaveLength(1);
      }
    }
  });
});

describe('shared directory', () => {
  const key = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1));
  const spec = parseSpec({ version: 1, keyFingerprint: key.fingerprint, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
  const corpus = join(tmp, 'corpus.txt');
  writeFileSync(corpus, 'one paragraph of text.\n\nanother paragraph of text.\n');

  it('must exist, be a directory and be writable', () => {
    expect(usageMessage(() => checkSharedDir(join(tmp, 'nope')))).toMatch(/no such directory/);
    expect(usageMessage(() => checkSharedDir(corpus))).toMatch(/not a directory/);
    expect(checkSharedDir(tmp)).toBe(tmp);
  });

  it('keeps the run id of the same plan and refuses another scan\'s directory', () => {
    const dir = join(tmp, 'shared');
    mkdirSync(dir);
    const plan = planScan(spec, [corpus]);
    const first = prepareSharedDir(dir, plan);
    expect(first.resumed).toBe(false);
    expect(first.run).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(readFileSync(first.planPath, 'utf8'))).toEqual(plan);
    const again = prepareSharedDir(dir, plan);
    expect(again).toEqual({ ...first, resumed: true });
    const other = planScan(spec, [corpus], { textMode: 'file' });
    expect(() => prepareSharedDir(dir, other)).toThrow(/holds another scan \(its plan\.json differs\)/);
    // a fresh directory for the same plan gets a fresh run: no job of the old one is taken as its own
    const dir2 = join(tmp, 'shared2');
    mkdirSync(dir2);
    expect(prepareSharedDir(dir2, plan).run).not.toBe(first.run);
  });
});
