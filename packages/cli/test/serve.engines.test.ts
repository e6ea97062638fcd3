/**
 * `tracemark serve` with an engine spec (version 2): the server emulates the engine's
 * watermark (a fresh engine sampler per choice, prompt ids passed) on the built-in
 * reference model. The responses, fetched with the `openai` client, are detected with
 * the engine spec and key: strong exact p, and the engine's own statistic
 * (result.engine: its verdict, or its own p where it gives no verdict) calls them watermarked — our emulation is readable by the engine's
 * own detector; the same responses under another key are null. The ledger records
 * each response (lookup finds its text) with its windows: the engine reader's context
 * digests, which `ledger export-filter` exports (serve.engine-filters.test.ts checks them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { encode } from '@tracemark/lm';
import { Detector, sha256Hex, vocabSizeOf } from '@tracemark/detector';
import { Ledger, loadFilter, lookupText } from '@tracemark/serve';
import { exportEngineKeyFile, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec, type EngineStatistic } from '@tracemark/watermark';
import { runInProcess } from './helpers/cli.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

const TOKENIZER = 'o200k_base';

/** Deterministic key bytes (a test seed, not a secret). */
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

/**
 * The engine's own call: its verdict where it has one (vLLM, HF), else its own p-value at
 * 0.01 (SGLang reports a Gamma-tail p and no verdict).
 */
function engineSaysMarked(e: EngineStatistic): boolean {
  if (e.watermarked !== null) return e.watermarked;
  return e.pValue !== null && e.pValue < 0.01;
}

const PROMPTS = ['The history of the river valley', 'Chapter 3. When the rain came to the town', 'A letter to the editor about the new bridge'];
const servers: ServeHandle[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => {});
});

const SCHEMES: { name: string; engine: (vocab: number) => Record<string, unknown> }[] = [
  { name: 'vllm-gumbel', engine: () => ({ scheme: 'vllm/gumbel' }) },
  { name: 'vllm-red-green', engine: () => ({ scheme: 'vllm/red_green' }) },
  { name: 'sglang-gumbel', engine: () => ({ scheme: 'sglang/gumbel' }) },
  { name: 'hf-kgw', engine: (vocab) => ({ scheme: 'hf/kgw', vocabSize: vocab }) },
];

describe.each(SCHEMES)('serve emulates $name', ({ name, engine }) => {
  it(
    'responses carry the engine watermark: exact p, the engine detector agrees, another key is null; ledger lookup works, a filter exports',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), `tracemark-serve-engine-${name}-`));
      const vocab = vocabSizeOf(TOKENIZER)!;
      const mine = engineFiles(dir, name, engine(vocab), `${name}-key`);
      const other = engineFiles(dir, `${name}-other`, engine(vocab), `${name}-other-key`);
      const ledgerPath = join(dir, 'ledger.sqlite');
      const srv = await startServe(['--spec', mine.specPath, '--key', mine.keyPath, '--ledger', ledgerPath]);
      servers.push(srv);
      expect(srv.events[0]).toMatchObject({ event: 'listening', scheme: mine.spec.engine.scheme, payload: false, keyFingerprint: mine.key.fingerprint });
      const client = new OpenAI({ apiKey: 'unused', baseURL: srv.baseURL, maxRetries: 0, timeout: 60_000 });
      const model = (await client.models.list()).data[0]!.id;

      const served: { prompt: string; text: string }[] = [];
      for (let i = 0; i < PROMPTS.length; i++) {
        const r = await client.completions.create({ model, prompt: PROMPTS[i]!, max_tokens: 150, n: 2, seed: 7 + i, temperature: 1 });
        for (const c of r.choices) served.push({ prompt: PROMPTS[i]!, text: c.text });
      }
      expect(served).toHaveLength(6);

      const det = new Detector(mine.spec, mine.key);
      const wrong = new Detector(other.spec, other.key);
      const log10 = [];
      let engineYes = 0;
      for (const s of served) {
        const prompt = encode(TOKENIZER, s.prompt);
        const r = det.detect(s.text, { prompt });
        expect(r.scheme).toBe(mine.spec.engine.scheme);
        log10.push(r.log10P);
        expect(r.engine).toBeDefined();
        if (engineSaysMarked(r.engine!)) engineYes++;
        const n = wrong.detect(s.text, { prompt });
        expect(n.log10P).toBeGreaterThan(-3);
        expect(engineSaysMarked(n.engine!)).toBe(false);
      }
      log10.sort((a, b) => a - b);
      // Up to 150 tokens (some end early), temperature 1 — where about a third of the
      // positions come from the model's unlisted tail and carry no watermark (engine.ts):
      // every response has p ≤ 1e-2, half of them p ≤ 1e-8, and the engine's own detector
      // flags (nearly) every one.
      expect(log10[5]!).toBeLessThan(-2);
      expect(log10[2]!).toBeLessThan(-8);
      expect(engineYes).toBeGreaterThanOrEqual(5);

      const stopped = await srv.stop();
      expect(stopped.code).toBe(0);

      const ledger = Ledger.openForReading(ledgerPath);
      try {
        expect(ledger.binding.keyFingerprint).toBe(mine.key.fingerprint);
        const found = await lookupText(ledger, sha256Hex(served[0]!.text));
        expect(found.found).toBe(true);
        expect(found.responses[0]!.account).toBe('anonymous');
      } finally {
        ledger.close();
      }
      const exp = await runInProcess(['ledger', 'export-filter', '--ledger', ledgerPath, '--accounts', 'anonymous', '--out', join(dir, 'f.json')]);
      expect(exp.stderr).toBe('');
      expect(exp.code).toBe(0);
      const filter = loadFilter(join(dir, 'f.json'));
      expect(filter.keyFingerprint).toBe(mine.key.fingerprint);
      expect(filter.header.responses).toBe(6);
      // every engine keys (nearly) every generated position: about one window per token
      expect(filter.windows.length).toBeGreaterThan(300);
    },
    180_000,
  );
});
