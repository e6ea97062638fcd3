/**
 * `tracemark scan --memory / --spill-dir`: the out-of-core scan through the CLI prints the
 * JSON and writes the per-document file of the in-memory scan, byte for byte (a corpus
 * directory of text paragraphs, JSONL and .jsonl.gz: compressed input always runs out of
 * core under --memory); bad sizes, a budget below the scan's own needs and --spill-dir with
 * --checkpoint are one line on stderr, exit 2, nothing written.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { runInProcess } from './helpers/cli.js';
import { makeFixture, type Fixture } from './helpers/fixtures.js';

let fx: Fixture;
let dir: string;
let corpus: string;

beforeAll(() => {
  fx = makeFixture({ seed: 'scan-memory-test' });
  dir = mkdtempSync(join(tmpdir(), 'tracemark-scan-mem-'));
  corpus = join(dir, 'corpus');
  mkdirSync(corpus);
  const human = humanText({ split: 'calibration' }).slice(0, 30).map((d) => d.text.slice(0, 1500));
  writeFileSync(join(corpus, 'a.txt'), human.slice(0, 10).map((t) => t.replace(/\n\s*\n/g, '\n')).join('\n\n') + '\n');
  writeFileSync(join(corpus, 'b.jsonl'), [...human.slice(10, 20), human[2]!].map((text, i) => JSON.stringify({ id: `b${i}`, text })).join('\n') + '\n');
  writeFileSync(join(corpus, 'c.jsonl.gz'), gzipSync(human.slice(20, 30).map((text, i) => JSON.stringify({ id: `c${i}`, text })).join('\n') + '\n'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(fx.dir, { recursive: true, force: true });
});

const base = (): string[] => ['scan', '--spec', fx.specPath, '--key', fx.keyPath, '--id-field', 'id', '--json'];
const withoutOutput = (stdout: string): unknown => ({ ...JSON.parse(stdout), output: undefined });

describe('scan --memory / --spill-dir', () => {
  it('out of core: the JSON and the per-document file of the in-memory scan', async () => {
    const mem = await runInProcess([...base(), corpus, '--output', join(dir, 'mem.jsonl')], { timeoutMs: 120_000 });
    expect(mem.code).toBe(0);
    const budget = await runInProcess([...base(), corpus, '--memory', '300MiB', '--output', join(dir, 'budget.jsonl')], { timeoutMs: 120_000 });
    expect(budget.stderr).toBe('');
    expect(withoutOutput(budget.stdout)).toEqual(withoutOutput(mem.stdout));
    expect(readFileSync(join(dir, 'budget.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'mem.jsonl'), 'utf8'));
    const spill = join(dir, 'spill');
    const kept = await runInProcess([...base(), corpus, '--spill-dir', spill, '--workers', '1', '--output', join(dir, 'spill.jsonl')], { timeoutMs: 120_000 });
    expect(kept.code).toBe(0);
    expect(withoutOutput(kept.stdout)).toEqual(withoutOutput(mem.stdout));
    expect(readFileSync(join(dir, 'spill.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'mem.jsonl'), 'utf8'));
    expect(existsSync(join(spill, 'plan.json'))).toBe(true);
  }, 240_000);

  it('bad budgets and combinations: one line, exit 2, nothing written', async () => {
    const out = join(dir, 'never.jsonl');
    const cases: [string[], RegExp][] = [
      [['--memory', 'lots'], /^tracemark: --memory must be a size such as 512MiB, 2GiB or a number of bytes \(got "lots"\)\n$/],
      [['--memory', '64MiB'], /^tracemark: a memory budget of 67108864 bytes is below the \d+ a scan on 0 worker threads needs\n$/],
      [['--spill-dir', join(dir, 's2'), '--checkpoint', join(dir, 'x.ck')], /^tracemark: --spill-dir runs the scan out of core here, resumable from that directory: it cannot be combined with --checkpoint\n$/],
    ];
    for (const [flags, msg] of cases) {
      const r = await runInProcess([...base(), corpus, ...flags, '--output', out]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    }
  }, 60_000);
});
