/**
 * CLI habits (issue 17): what a user's shell habits run into.
 *  - `scan --top N` lists N documents in the human output as in --json.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanOutputSchema } from '../src/schemas.js';
import { runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const fx = makeFixture({ seed: 'cli-habits' });
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

const auth = ['--spec', fx.specPath, '--key', fx.keyPath];

const corpus = join(fx.dir, 'corpus.jsonl');
writeFileSync(
  corpus,
  Array.from({ length: 14 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `Document ${i} is about the weather in town ${i * 7}, apples, rivers and the number ${i * i}.` })).join('\n') + '\n',
);

describe('scan --top N', () => {
  /** The most-marked lines of the human output: "  <source>:<line> (<id>): p = …". */
  const listed = (stdout: string): string[] => stdout.split('\n').filter((l) => /^ {2}\S+:\d+ \(d\d+\): p = /.test(l));

  it.each([0, 3, 8, 12])('--top %i lists that many documents, in the human output and in --json', async (n) => {
    const [human, json] = await Promise.all([
      runInProcess(['scan', corpus, ...auth, '--id-field', 'id', '--top', String(n)]),
      runInProcess(['scan', corpus, ...auth, '--id-field', 'id', '--top', String(n), '--json']),
    ]);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);
    const top = ScanOutputSchema.parse(JSON.parse(json.stdout)).mostMarked;
    expect(top).toHaveLength(n);
    expect(listed(human.stdout)).toEqual(top.map((d) => expect.stringContaining(`  ${d.source}:${d.line} (${d.id}): p = `)));
  });

  it('the default is 10', async () => {
    const r = await runInProcess(['scan', corpus, ...auth, '--id-field', 'id']);
    expect(listed(r.stdout)).toHaveLength(10);
  });
});
