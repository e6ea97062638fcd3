/**
 * docs/INTEROP.md's worked examples really run: every `$ ` line of the console blocks under
 * "## Worked examples" is executed in a temporary directory (`echo '…' > file` writes the
 * file, `tracemark …` runs the CLI), on the input files the doc describes (token ids the
 * engines generated, from test/vectors/engines/, beside random ids), and its output must be
 * the text pasted under it. INTEROP_DOC_WRITE=1 pastes the current output into the doc instead.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';

const DOC = join(REPO_ROOT, 'docs/INTEROP.md');
const WRITE = process.env.INTEROP_DOC_WRITE === '1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const seq = (file: string, name: string): Json => {
  const s = JSON.parse(readFileSync(join(REPO_ROOT, 'test/vectors/engines', file), 'utf8')).sequences.find((x: Json) => x.name === name);
  if (!s) throw new Error(`${file} has no sequence ${name}`);
  return s;
};
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The doc's input files: each engine's own output (the vector files' positive controls) and random ids. */
function inputs(dir: string): void {
  /** The engine's output as generated, then the random control (its ids taken mod `vocab` when given). */
  const two = (f: string, marked: string, random: string, id: string, withPrompt = false, vocab?: number) => {
    const a = seq(f, marked), b = seq(f, random);
    const prompt = (s: Json) => (withPrompt ? { prompt_ids: s.prompt_token_ids } : {});
    const ids = vocab ? b.tokens.map((t: number) => t % vocab) : b.tokens;
    return jsonl([{ id, ids: a.tokens, ...prompt(a) }, { id: 'random', ids, ...prompt(b) }]);
  };
  writeFileSync(join(dir, 'vllm-ids.jsonl'), two('vllm-gumbel-philox.json', 'watermarked-by-engine', 'random-vocab32000', 'vllm-output'));
  writeFileSync(join(dir, 'sglang-ids.jsonl'), two('sglang-aaronson_gumbel.json', 'watermarked-argmax-vocab2048', 'random-vocab151936-with-prompt', 'sglang-output', true));
  // HF's positive control has vocabulary 2048; the random control is brought into it.
  writeFileSync(join(dir, 'hf-ids.jsonl'), two('hf-kgw-lefthash.json', 'watermarked-by-library-vocab2048', 'random-vocab32000-bos1', 'hf-output', false, 2048));
  writeFileSync(join(dir, 'hf-synthid-ids.jsonl'), two('hf-synthid.json', 'watermarked-by-library-vocab2048-generated-part', 'random-vocab32000', 'hf-synthid-output'));
  writeFileSync(join(dir, 'synthid-text-ids.jsonl'), two('synthid_text-synthid.json', 'watermarked-by-reference-vocab4096-generated-part', 'random-vocab32000', 'synthid-text-output'));
}

interface Step { command: string; expected: string[]; line: number }
interface Block { name: string; start: number; end: number; steps: Step[] }

/** The console blocks of the worked-examples section, with the doc's line numbers. */
function blocks(doc: string[]): Block[] {
  const from = doc.indexOf('## Worked examples');
  const to = doc.findIndex((l, i) => i > from && l.startsWith('## '));
  const out: Block[] = [];
  for (let i = from; i < to; i++) {
    const m = /^<!-- example:(\S+) -->$/.exec(doc[i]!);
    if (!m) continue;
    if (doc[i + 1] !== '```console') throw new Error(`INTEROP.md:${i + 2}: a console block must follow the example marker`);
    const start = i + 2;
    let end = start;
    while (doc[end] !== '```') end++;
    const steps: Step[] = [];
    for (let j = start; j < end; j++) {
      if (doc[j]!.startsWith('$ ')) steps.push({ command: doc[j]!.slice(2), expected: [], line: j + 1 });
      else steps.at(-1)!.expected.push(doc[j]!);
    }
    out.push({ name: m[1]!, start, end, steps });
  }
  return out;
}

describe('docs/INTEROP.md worked examples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-interop-doc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  inputs(dir);
  const doc = readFileSync(DOC, 'utf8').split('\n');
  const bs = blocks(doc);
  const produced = new Map<string, string[]>();

  it('has one example per engine', () => {
    expect(bs.map((b) => b.name)).toEqual(['vllm', 'sglang', 'hf', 'hf-synthid', 'synthid-text', 'lm']);
  });

  for (const b of bs) {
    it(`${b.name}: every command runs and prints what the doc shows`, async () => {
      const lines: string[] = [];
      for (const s of b.steps) {
        lines.push(`$ ${s.command}`);
        const echo = /^echo '(.*)' > (\S+)$/.exec(s.command);
        if (echo) {
          writeFileSync(join(dir, echo[2]!), echo[1]! + '\n');
          expect(s.expected, `INTEROP.md:${s.line}: echo prints nothing`).toEqual([]);
          continue;
        }
        const args = s.command.split(/\s+/);
        expect(args[0], `INTEROP.md:${s.line}`).toBe('tracemark');
        const abs = args.slice(1).map((a) => (/\.(json|jsonl)$/.test(a) ? join(dir, a) : a));
        const r = await runInProcess(abs, { timeoutMs: 60_000 });
        expect(r.code, `INTEROP.md:${s.line}: ${r.stderr}`).toBe(0);
        const got = (r.stdout + r.stderr).split(`${dir}/`).join('').replace(/\n+$/, '').split('\n');
        lines.push(...got);
        if (!WRITE) expect(got, `INTEROP.md:${s.line}: ${s.command}`).toEqual(s.expected);
      }
      produced.set(b.name, lines);
    }, 120_000);
  }

  if (WRITE) {
    afterAll(() => {
      const out = doc.slice();
      for (const b of [...bs].reverse()) {
        const lines = produced.get(b.name);
        if (lines) out.splice(b.start, b.end - b.start, ...lines);
      }
      writeFileSync(DOC, out.join('\n'));
    });
  }
});
