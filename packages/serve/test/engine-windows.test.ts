/**
 * The windows an engine choice records for the ledger (generate.ts + engine.ts): the
 * engine reader's context digests (EngineRead.ctxHi/ctxLo, hi·2^32 + lo) at the positions
 * the engine keyed, read on exactly the generated token ids with the prompt ids given —
 * checked against a reader run on the ids the model actually produced (recorded by
 * wrapping the model's engine step), for vLLM (contexts padded with -1, prompt never
 * read) and SGLang (first contexts reach into the prompt). The digests do not depend on
 * the key: another key's reader gives the same windows. exportFilter exports an
 * engine-bound ledger's windows, and refuses responses recorded without any (proxied).
 */
import { describe, expect, it } from 'vitest';
import { encode } from '@tracemark/lm';
import { createEngineReader, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { engineSamplerFor, engineWindows, type EngineMarking } from '../src/server/engine.js';
import { generateChoice, type ChoiceResult } from '../src/server/generate.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportFilter, Ledger, loadServedModel, type ResponseRecord, type ServedModel } from '../src/index.js';

function marking(engine: Record<string, unknown>, seed: string): { spec: EngineSpec; key: EngineKey } {
  const rng = seededRng(seed);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
  const draft = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
  const key = generateEngineKey(draft.engine, bytes);
  return { spec: parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: key.fingerprint }), key };
}

/** The model, with every token its engine step returns recorded. */
function recording(model: ServedModel): { model: ServedModel; tokens: number[] } {
  const tokens: number[] = [];
  return {
    tokens,
    model: {
      ...model,
      engineStep: async (sampler, ctx, len, s, rng) => {
        const r = await model.engineStep!(sampler, ctx, len, s, rng);
        tokens.push(r.token);
        return r;
      },
    },
  };
}

async function run(m: EngineMarking, model: ServedModel, prompt: Uint32Array, maxTokens: number, stop: string[] = []): Promise<ChoiceResult> {
  const gen = generateChoice({
    engine: engineSamplerFor(m, prompt),
    engineWindows: (g) => engineWindows(m, prompt, g),
    model,
    prompt,
    maxTokens,
    sampling: { temperature: 1, topP: 1 },
    stop,
    rng: seededRng(`engine-windows/${m.spec.engine.scheme}/${maxTokens}`),
    signal: new AbortController().signal,
  });
  for (;;) {
    const s = await gen.next();
    if (s.done) return s.value;
  }
}

const u64 = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

describe.each([
  { name: 'vllm/gumbel', engine: { scheme: 'vllm/gumbel' } },
  { name: 'sglang/gumbel', engine: { scheme: 'sglang/gumbel' } },
])('engine choice windows: $name', ({ name, engine }) => {
  it('are the reader digests of the keyed positions of the generated ids (prompt given), whatever the key', async () => {
    const m = marking(engine, `${name}/key`);
    const base = await loadServedModel('builtin', m.spec);
    const rec = recording(base);
    const prompt = Uint32Array.from(encode('o200k_base', 'The history of the river valley'));
    const r = await run(m, rec.model, prompt, 80);
    expect(r.completionTokens).toBeGreaterThan(10);
    const generated = rec.tokens.slice(0, r.completionTokens); // an end-of-text draw is not part of the text
    const read = createEngineReader(m.spec, m.key).read(generated, { prompt });
    const want: bigint[] = [];
    for (let i = 0; i < read.n; i++) if (read.keyed[i]) want.push(u64(read.ctxHi[i]!, read.ctxLo[i]!));
    expect(want.length).toBe(generated.length); // both engines key every generated position (SGLang: from the prompt on)
    expect(r.windows).toEqual(want);
    // key-independent: a reader under another key digests the same contexts
    const other = marking(engine, `${name}/other-key`);
    const again = createEngineReader(other.spec, other.key).read(generated, { prompt });
    expect(Array.from(again.ctxHi)).toEqual(Array.from(read.ctxHi));
    expect(Array.from(again.ctxLo)).toEqual(Array.from(read.ctxLo));
    // the digests are of the contexts: two positions share a window iff their contexts are equal
    const w = createEngineReader(m.spec, m.key).contextWidth;
    expect(w).toBeGreaterThan(0);
    const full = [...prompt, ...generated];
    const p = name === 'vllm/gumbel' ? 0 : prompt.length;
    const seq = name === 'vllm/gumbel' ? generated : full;
    const ctxOf = (i: number) => JSON.stringify(Array.from({ length: w }, (_, j) => seq[p + i - w + j] ?? -1));
    for (let i = 0; i < read.n; i++) for (let j = i + 1; j < read.n; j++) expect(want[i] === want[j]).toBe(ctxOf(i) === ctxOf(j));
    await base.dispose();
  });

  it('with no prompt an SGLang choice has windows from its h-th token on (the engine keys nothing before); vLLM pads', async () => {
    const m = marking(engine, `${name}/key2`);
    const base = await loadServedModel('builtin', m.spec);
    const rec = recording(base);
    const r = await run(m, rec.model, new Uint32Array(0), 30);
    const generated = rec.tokens.slice(0, r.completionTokens);
    const w = createEngineReader(m.spec, m.key).contextWidth;
    expect(generated.length).toBeGreaterThan(w);
    expect(r.windows.length).toBe(name === 'vllm/gumbel' ? generated.length : generated.length - w);
    await base.dispose();
  });
});

describe('exportFilter on a ledger bound to an engine spec', () => {
  it("exports the engine rows' windows; refuses a selection whose rows carry none (proxied responses)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracemark-engine-ledger-'));
    const m = marking({ scheme: 'vllm/gumbel' }, 'ledger/key');
    const ledger = Ledger.openForWriting(join(dir, 'l.sqlite'), { specId: 'c'.repeat(64), keyFingerprint: m.key.fingerprint, specJson: JSON.stringify(m.spec) });
    const rec = (i: number, account: string, windows: bigint[]): ResponseRecord => ({
      responseId: `cmpl-${i}`, choice: 0, account, accountId: null, created: new Date(Date.UTC(2025, 0, 1 + i)), modelId: 'm', endpoint: 'completions', finishReason: 'stop',
      textSha256: String(i).padStart(64, '0'), promptSha256: 'f'.repeat(64), promptTokens: 3, completionTokens: 10, windows,
    });
    try {
      ledger.recordMany([rec(1, 'served', [9n, 3n, 9n]), rec(2, 'proxied', [])]);
      const f = await exportFilter(ledger, { accounts: ['served'] });
      expect([...f.windows]).toEqual([3n, 9n]);
      expect(f.header).toMatchObject({ keyFingerprint: m.key.fingerprint, responses: 1, count: 2 });
      await expect(exportFilter(ledger, { accounts: ['proxied'] })).rejects.toThrow(/^the 1 response\(s\) selected in this ledger \(engine spec vllm\/gumbel\) were recorded without window hashes/);
      expect((await exportFilter(ledger, { accounts: ['served', 'proxied'] })).header.count).toBe(2);
    } finally {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
