/**
 * Supervised window filters for engine specs: `tracemark serve` with an engine spec
 * records, for each response, the engine reader's context digests of the positions the
 * engine keyed (key-independent); `ledger export-filter` exports them; radioactivity
 * --filter scores only positions whose context digest is in the filter.
 *
 *  - the exported filter's windows are the digests a reader computes on the delivered
 *    texts' ids (prompt ids given: SGLang's first contexts reach into them), up to the few
 *    contexts re-encoding the text tokenizes differently from the generated ids;
 *  - a suspect that copies the served responses among unrelated answers: the supervised
 *    test is radioactive on fewer scored positions than the unfiltered one (the unrelated
 *    answers drop out), its decoys are null-like;
 *  - the same filter on unrelated text alone keeps almost nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { encode } from '@tracemark/lm';
import { vocabSizeOf } from '@tracemark/detector';
import { loadFilter } from '@tracemark/serve';
import { createEngineReader, exportEngineKeyFile, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { RadioactivityOutputSchema } from '../src/schemas/investigate.js';
import { runInProcess } from './helpers/cli.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

const TOKENIZER = 'o200k_base';
const DECOY_SEED = 'ab'.repeat(32);

function randomFrom(seed: string): (n: number) => Uint8Array {
  const rng = seededRng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

function engineFiles(dir: string, name: string, engine: Record<string, unknown>, seed: string): { spec: EngineSpec; key: EngineKey; specPath: string; keyPath: string } {
  const draft = parseEngineSpec({ version: 2, tokenizer: TOKENIZER, engine, keyFingerprint: '0'.repeat(32) });
  const key = generateEngineKey(draft.engine, randomFrom(seed));
  const spec = parseEngineSpec({ version: 2, id: name, tokenizer: TOKENIZER, engine, keyFingerprint: key.fingerprint });
  const specPath = join(dir, `${name}.spec.json`);
  const keyPath = join(dir, `${name}.key.json`);
  writeFileSync(specPath, JSON.stringify(spec, null, 2));
  writeFileSync(keyPath, JSON.stringify(exportEngineKeyFile(key, new Date(0))), { mode: 0o600 });
  return { spec, key, specPath, keyPath };
}

const WORDS = (
  'the of and to in is was he for it with as his on be at by had are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'
).split(' ');

/** Text independent of any key: words drawn with a seeded rng. */
function unrelatedText(seed: string, words: number): string {
  const rng = seededRng(seed);
  return Array.from({ length: words }, () => WORDS[Math.floor(rng() * WORDS.length)]!).join(' ');
}

const PROMPTS = ['The history of the river valley', 'Chapter 3. When the rain came to the town', 'A letter to the editor about the new bridge', 'Notes on the harbour at dawn'];
const servers: ServeHandle[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => {});
});

const SCHEMES: { name: string; engine: Record<string, unknown> }[] = [
  { name: 'vllm-gumbel', engine: { scheme: 'vllm/gumbel' } },
  { name: 'sglang-gumbel', engine: { scheme: 'sglang/gumbel' } },
];

describe.each(SCHEMES)('engine window filters: $name', ({ name, engine }) => {
  it(
    'serve records the reader digests; export-filter; radioactivity --filter on a copying suspect and on unrelated text',
    async () => {
      expect(vocabSizeOf(TOKENIZER)).toBeGreaterThan(0);
      const dir = mkdtempSync(join(tmpdir(), `tracemark-engine-filters-${name}-`));
      const mine = engineFiles(dir, name, engine, `${name}-filters-key`);
      const ledgerPath = join(dir, 'ledger.sqlite');
      const srv = await startServe(['--spec', mine.specPath, '--key', mine.keyPath, '--ledger', ledgerPath]);
      servers.push(srv);
      const client = new OpenAI({ apiKey: 'unused', baseURL: srv.baseURL, maxRetries: 0, timeout: 60_000 });
      const model = (await client.models.list()).data[0]!.id;
      const served: { prompt: string; text: string }[] = [];
      for (let i = 0; i < PROMPTS.length; i++) {
        const r = await client.completions.create({ model, prompt: PROMPTS[i]!, max_tokens: 150, n: 2, seed: 11 + i, temperature: 1 });
        for (const c of r.choices) served.push({ prompt: PROMPTS[i]!, text: c.text });
      }
      expect(served).toHaveLength(8);
      expect((await srv.stop()).code).toBe(0);

      // the filter: exactly the reader's digests of the keyed positions of the delivered texts
      const filterPath = join(dir, 'f.json');
      const exp = await runInProcess(['ledger', 'export-filter', '--ledger', ledgerPath, '--accounts', 'anonymous', '--out', filterPath]);
      expect(exp.stderr).toBe('');
      expect(exp.code).toBe(0);
      const filter = loadFilter(filterPath);
      expect(filter.keyFingerprint).toBe(mine.key.fingerprint);
      const reader = createEngineReader(mine.spec, mine.key);
      const expected = new Set<bigint>();
      for (const s of served) {
        const r = reader.read(encode(TOKENIZER, s.text), { prompt: encode(TOKENIZER, s.prompt) });
        for (let i = 0; i < r.n; i++) if (r.keyed[i]) expected.add((BigInt(r.ctxHi[i]! >>> 0) << 32n) | BigInt(r.ctxLo[i]! >>> 0));
      }
      expect(expected.size).toBeGreaterThan(800);
      expect(new Set(filter.windows).size).toBe(filter.windows.length);
      // The server read the ids it generated; re-encoding the delivered text can merge a few
      // of them differently (BPE: " was" + "to" → " wasto"), changing the contexts around
      // them — so equal up to those few (serve's engine-windows test checks the generated
      // ids exactly).
      const got = new Set(filter.windows);
      const missing = [...expected].filter((e) => !got.has(e)).length;
      const extra = [...got].filter((g) => !expected.has(g)).length;
      expect(missing).toBeLessThanOrEqual(expected.size * 0.05);
      expect(extra).toBeLessThanOrEqual(expected.size * 0.05);

      // a suspect that copies the served responses, among as many unrelated answers
      const lines = (xs: { id: string; prompt: string; text: string }[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
      const unrelated = Array.from({ length: 8 }, (_, i) => ({ id: `u${i}`, prompt: `Question ${i}`, text: unrelatedText(`${name}/unrelated/${i}`, 120) }));
      const suspectPath = join(dir, 'suspect.jsonl');
      writeFileSync(suspectPath, lines([...served.map((s, i) => ({ id: `s${i}`, prompt: s.prompt, text: s.text })), ...unrelated]));
      const base = ['radioactivity', '--spec', mine.specPath, '--key', mine.keyPath, '--decoys', '20', '--decoy-seed', DECOY_SEED, '--json'];
      const rr = await runInProcess([...base, '--transcript', suspectPath, '--filter', filterPath, '--variants', 'unfiltered,supervised'], { timeoutMs: 120_000 });
      expect(rr.stderr).toBe('');
      expect(rr.code).toBe(0);
      const out = RadioactivityOutputSchema.parse(JSON.parse(rr.stdout));
      const unf = out.variants.find((v) => v.variant === 'unfiltered')!.suspect;
      const sup = out.variants.find((v) => v.variant === 'supervised')!.suspect;
      expect(out.verdict).toBe('detected');
      expect(sup.verdict).toBe('detected');
      expect(sup.pooled.log10P).toBeLessThan(-8);
      expect(sup.pooled.scored).toBeLessThan(unf.pooled.scored * 0.75);
      expect(sup.pooled.scored).toBeGreaterThan(500);
      expect(sup.decoys.significant).toBe(0);
      expect(sup.decoys.uniform).toBe(true);
      expect(sup.decoys.minLog10P!).toBeGreaterThan(-4);

      // the filter on unrelated text alone: (almost) no position survives
      const controlPath = join(dir, 'unrelated.jsonl');
      writeFileSync(controlPath, lines(Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, prompt: `Topic ${i}`, text: unrelatedText(`${name}/control/${i}`, 150) }))));
      const cr = await runInProcess([...base, '--transcript', controlPath, '--filter', filterPath, '--variants', 'unfiltered,supervised'], { timeoutMs: 120_000 });
      expect(cr.code).toBe(0);
      const cout = RadioactivityOutputSchema.parse(JSON.parse(cr.stdout));
      const cu = cout.variants.find((v) => v.variant === 'unfiltered')!.suspect;
      const cs = cout.variants.find((v) => v.variant === 'supervised')!.suspect;
      expect(cu.pooled.scored).toBeGreaterThan(1000);
      expect(cs.pooled.scored).toBeLessThanOrEqual(Math.ceil(cu.pooled.scored * 0.01));
      expect(cout.verdict).toBe('not-detected');
    },
    240_000,
  );
});
