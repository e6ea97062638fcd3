/**
 * AtomicWriter when its stream fails: the file's directory does not exist, so the
 * temporary file cannot even be opened. commit() must reject with one IO error and abort()
 * must return — both used to wait forever for stream events a failed stream never sends.
 * And the happy path: the file appears whole on commit, nothing is left on abort.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicWriter, DetectorError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AtomicWriter', () => {
  it('commit: the file appears whole; abort: nothing is left', async () => {
    const w = new AtomicWriter(join(dir, 'out.jsonl'));
    await w.write('a\n');
    await w.write('b\n');
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
    await w.commit();
    expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe('a\nb\n');
    const v = new AtomicWriter(join(dir, 'gone.jsonl'));
    await v.write('x\n');
    await v.abort();
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
  });

  it('a stream that failed to open: commit rejects with an IO error, abort returns', { timeout: 5000 }, async () => {
    const path = join(dir, 'no-such-dir', 'out.jsonl');
    const w = new AtomicWriter(path);
    await settle(50); // let the open fail
    const e = await w.commit().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DetectorError);
    expect((e as DetectorError).code).toBe('IO_ERROR');
    expect((e as Error).message).toMatch(/^cannot write .*out\.jsonl: ENOENT/);
    const v = new AtomicWriter(path);
    await settle(50);
    await expect(v.abort()).resolves.toBeUndefined();
    const u = new AtomicWriter(path);
    await settle(50);
    await expect(u.write('x\n')).rejects.toThrow(/ENOENT/);
    await u.abort();
  });
});
