/**
 * `tracemark detect --ids`: token ids instead of text (JSONL `ids`, optional `prompt_ids`),
 * checked line by line before anything is scored; the same verdicts as text input.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HfTokenizer, Tokenizer } from '@tracemark/detector';
import { humanText } from '@tracemark/corpora';
import { hfSpecTokenizerId } from '../../detector/bench/hf-models.js';
import { DetectOutputSchema } from '../src/schemas.js';
import { runInProcess } from './helpers/cli.js';

let dir: string;
const p = (name: string): string => join(dir, name);
const text = humanText({ split: 'heldout' })[1]!.text;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-detect-ids-'));
  expect((await runInProcess(['keygen', '--out', p('key.json'), '--json'])).code).toBe(0);
  expect((await runInProcess(['spec', 'init', '--key', p('key.json'), '--out', p('spec.json'), '--json'])).code).toBe(0);
  expect((await runInProcess(['spec', 'init', '--key', p('key.json'), '--tokenizer', hfSpecTokenizerId('qwen3'), '--out', p('qwen.json'), '--json'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detect --ids', () => {
  it('scores ids exactly as the text they encode (tiktoken and hf: specs)', async () => {
    for (const [spec, ids] of [
      ['spec.json', (() => { const t = new Tokenizer('o200k_base'); const r = Array.from(t.encode(text).tokens); t.dispose(); return r; })()],
      ['qwen.json', Array.from(new HfTokenizer(hfSpecTokenizerId('qwen3')).encode(text).tokens)],
    ] as const) {
      writeFileSync(p('ids.jsonl'), JSON.stringify({ id: 'doc', ids }) + '\n');
      writeFileSync(p('text.jsonl'), JSON.stringify({ id: 'doc', text }) + '\n');
      const base = ['detect', '--spec', p(spec), '--key', p('key.json'), '--json'];
      const [a, b] = await Promise.all([runInProcess([...base, '--ids', p('ids.jsonl')]), runInProcess([...base, '--jsonl', p('text.jsonl')])]);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      const ra = DetectOutputSchema.parse(JSON.parse(a.stdout)).results[0]!, rb = DetectOutputSchema.parse(JSON.parse(b.stdout)).results[0]!;
      expect(ra.tokens).toBe(ids.length);
      expect(ra.id).toBe('doc');
      expect([ra.scored, ra.lnP, ra.verdict]).toEqual([rb.scored, rb.lnP, rb.verdict]);
    }
  });

  it('prompt_ids: the prompt\'s windows are not scored', async () => {
    const t = new Tokenizer('o200k_base');
    const ids = Array.from(t.encode(text).tokens);
    t.dispose();
    writeFileSync(p('p.jsonl'), JSON.stringify({ ids, prompt_ids: ids.slice(0, 40) }) + '\n');
    const r = await runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--json', '--ids', p('p.jsonl')]);
    expect(r.code).toBe(0);
    expect(DetectOutputSchema.parse(JSON.parse(r.stdout)).results[0]!.excluded).toBeGreaterThan(30);
  });

  it('a bad id is one line naming the line and field, exit 2, nothing on stdout', async () => {
    const cases: [string, string, RegExp][] = [
      ['spec.json', '{"ids": [1, 2.5]}', /bad\.jsonl:2: field "ids": element 1 \(2\.5\) not an integer$/],
      ['spec.json', '{"ids": [1, -1]}', /bad\.jsonl:2: field "ids": element 1 \(-1\) negative$/],
      ['spec.json', '{"ids": [1], "prompt_ids": [200019]}', /bad\.jsonl:2: field "prompt_ids": element 0 \(200019\) is not below the vocabulary size 200019$/],
      ['qwen.json', '{"ids": [151669]}', /bad\.jsonl:2: field "ids": element 0 \(151669\) is not below the vocabulary size 151669$/],
      ['spec.json', '{"ids": []}', /bad\.jsonl:2: field "ids" is empty/],
    ];
    for (const [spec, line, re] of cases) {
      writeFileSync(p('bad.jsonl'), `{"ids": [1, 2, 3]}\n${line}\n`);
      const r = await runInProcess(['detect', '--spec', p(spec), '--key', p('key.json'), '--json', '--ids', p('bad.jsonl')]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    }
  });
});

describe('scan --ids', () => {
  it('scans id documents as the texts they encode; a bad line is exit 2 naming line and field, no output written', async () => {
    const qwen = new HfTokenizer(hfSpecTokenizerId('qwen3'));
    const docs = humanText({ split: 'heldout' }).slice(0, 5).map((d) => d.text.normalize('NFC'));
    writeFileSync(p('corpus-ids.jsonl'), docs.map((t) => JSON.stringify({ ids: Array.from(qwen.encode(t).tokens) })).join('\n') + '\n');
    writeFileSync(p('corpus-text.jsonl'), docs.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const base = ['scan', '--spec', p('qwen.json'), '--key', p('key.json'), '--json'];
    const [a, b] = await Promise.all([runInProcess([...base, '--ids', p('corpus-ids.jsonl')]), runInProcess([...base, p('corpus-text.jsonl')])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
    expect([ja.documents, ja.tokens, ja.pooled.lnP]).toEqual([jb.documents, jb.tokens, jb.pooled.lnP]);

    writeFileSync(p('corpus-bad.jsonl'), '{"ids": [1, 2]}\n{"ids": [3, 4]}\n{"ids": [5, 1.5]}\n');
    const r = await runInProcess([...base, '--ids', p('corpus-bad.jsonl'), '--output', p('scan-out.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/corpus-bad\.jsonl:3: field "ids": element 1 \(1\.5\) not an integer/);
    expect(existsSync(p('scan-out.jsonl'))).toBe(false);
  });
});
