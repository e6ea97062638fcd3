/**
 * The investigation library with an engine spec (vLLM red_green: a binomial null, γ = 0.25):
 * a suspect whose answers were sampled by vLLM's red_green watermark (the engine sampler on a
 * synthetic model over single-token o200k words) and an innocent one (the same model, plain).
 * Key-free null models, the radioactivity test with decoys of the engine's key kind, a plan
 * from a pilot, and probeWithEvidence stopping on the marked suspect only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specId, Tokenizer, windowHashesOf } from '@tracemark/detector';
import { encodeFilterJson, FILTER_VERSION, sortUnique } from '@tracemark/serve';
import { createEngineReader, EngineKey, engines, generateEngineKey, parseEngineSpec, seededRng, type EngineSpecInput } from '@tracemark/watermark';
import { investigateRadioactivity, planFromPilot, planNullModel, probeWithEvidence } from '../src/index.js';

const WORDS = (
  'the of and to in is was he for it with as his on be at by had are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long'
).split(' ');

const key = new EngineKey('vllm', 'integer', [0x1234_5678_9abc_def0n]);
const spec = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/red_green' }, keyFingerprint: key.fingerprint });
const N = 24;
const prompts = Array.from({ length: N }, (_, i) => ({ id: `p${i}`, prompt: `Tell me about item number ${i}.` }));
const answers = new Map<string, { marked: string; plain: string }>();
let dir: string;
let server: Server;
let base: string;

function logitsAfter(prev: number, n: number): Float64Array {
  const rng = seededRng(`engine-specs/model/${prev}`);
  return Float64Array.from({ length: n }, () => 2 * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-engine-specs-'));
  const tok = new Tokenizer('o200k_base');
  const vocab = new Map<number, string>();
  for (const w of WORDS) {
    const t = tok.encode(` ${w}`).tokens;
    if (t.length === 1) vocab.set(t[0]!, ` ${w}`);
  }
  tok.dispose();
  const ids = [...vocab.keys()];
  const marked: string[] = [];
  const plain: string[] = [];
  for (const [i, p] of prompts.entries()) {
    const rng = seededRng(`engine-specs/draws/${i}`);
    const sampler = engines.createEngineSampler({ engine: 'vllm', algorithm: 'red_green', key: key.secretValues()[0]! });
    let pw = i % ids.length, pp = i % ids.length;
    const w: number[] = [], c: number[] = [];
    for (let t = 0; t < 60; t++) {
      const s = sampler.step({ ids, logits: logitsAfter(pw, ids.length) }, rng);
      w.push(s.token);
      pw = ids.indexOf(s.token);
      pp = engines.drawIndex(Array.from(logitsAfter(pp, ids.length), Math.exp), rng);
      c.push(ids[pp]!);
    }
    const a = { marked: w.map((t) => vocab.get(t)!).join(''), plain: c.map((t) => vocab.get(t)!).join('') };
    answers.set(p.prompt, a);
    marked.push(JSON.stringify({ id: p.id, prompt: p.prompt, text: a.marked }));
    plain.push(JSON.stringify({ id: p.id, prompt: p.prompt, text: a.plain }));
  }
  writeFileSync(join(dir, 'marked.jsonl'), marked.join('\n') + '\n');
  writeFileSync(join(dir, 'plain.jsonl'), plain.join('\n') + '\n');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: { content: string }[] };
      const a = answers.get(body.messages.at(-1)!.content)!;
      const content = body.model === 'clone' ? a.marked : a.plain;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'length' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

let seed = 11;
const bytes = (n: number) => Uint8Array.from({ length: n }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
const decoys = Array.from({ length: 20 }, () => generateEngineKey(spec.engine, bytes));

describe('engine specs in the investigation library', () => {
  it('planNullModel needs no key: the reader’s null model for every engine family', () => {
    expect(planNullModel(spec)).toEqual(createEngineReader(spec, key).nullModel);
    expect(planNullModel(spec)).toMatchObject({ kind: 'binomial', trialsPerToken: 1 });
    expect(Math.abs((planNullModel(spec) as { p: number }).p - 0.25)).toBeLessThan(1e-6);
    const others: [EngineSpecInput['engine'], EngineKey][] = [
      [{ scheme: 'vllm/gumbel' }, key],
      [{ scheme: 'sglang/gumbel' }, new EngineKey('sglang', 'hex', [5n])],
      [{ scheme: 'hf/kgw', vocabSize: 1000, greenlistRatio: 0.5 }, new EngineKey('hf', 'integer', [7n])],
      [{ scheme: 'synthid-text/synthid', depth: 6 }, new EngineKey('synthid-text', 'list', [1n, 2n, 3n, 4n, 5n, 6n])],
    ];
    for (const [engine, k] of others) {
      const s = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: k.fingerprint });
      expect(planNullModel(s)).toEqual(createEngineReader(s, k).nullModel);
    }
  });

  it('radioactivity: the marked suspect is radioactive with engine decoys null-like; the plain one is not', async () => {
    const r = await investigateRadioactivity({ spec, key, transcript: join(dir, 'marked.jsonl'), control: join(dir, 'plain.jsonl'), variants: ['unfiltered'], decoyKeys: decoys, decoySeed: 'test', alpha: 1e-6 });
    expect(r.verdict).toBe('detected');
    const v = r.variants[0]!;
    expect(v.suspect.scheme).toBe('vllm/red_green');
    expect(v.suspect.pooled.test).toBe('binomial');
    expect(v.suspect.decoys.significant).toBe(0);
    expect(v.suspect.decoys.uniform).toBe(true);
    expect(v.control!.verdict).toBe('not-detected');
    expect(r.controlsOk).toBe(true);
    await expect(investigateRadioactivity({ spec, key, transcript: join(dir, 'marked.jsonl'), variants: ['unsupervised'], decoyKeys: [], decoySeed: 'test', alpha: 1e-6 })).rejects.toThrow(/an engine spec \(vllm\/red_green\) runs the unfiltered and supervised tests only/);
  });

  it('supervised: a ledger filter of the reader digests of half the marked answers selects those positions; radioactive, decoys null-like; a pilot plans with it', async () => {
    // the filter a ledger would export for the first half of the prompts' answers (the words are single tokens: the ids are exact)
    const reader = createEngineReader(spec, key);
    const tok = new Tokenizer('o200k_base');
    const half = prompts.slice(0, N / 2).map((p) => ({ promptTokens: [] as number[], tokens: tok.encode(answers.get(p.prompt)!.marked).tokens }));
    tok.dispose();
    const windows = sortUnique(windowHashesOf(reader, half));
    expect(windows.length).toBeGreaterThan(50);
    const header = { type: 'tracemark-filter' as const, version: FILTER_VERSION, specId: specId(spec), keyFingerprint: key.fingerprint, accounts: ['acct-1'], since: null, until: null, created: new Date(0).toISOString(), responses: N / 2, count: windows.length };
    const fpath = join(dir, 'half.filter.json');
    writeFileSync(fpath, encodeFilterJson(header, windows));
    const r = await investigateRadioactivity({ spec, key, transcript: join(dir, 'marked.jsonl'), control: join(dir, 'plain.jsonl'), variants: ['unfiltered', 'supervised'], filters: [fpath], decoyKeys: decoys, decoySeed: 'test', alpha: 1e-6 });
    const unf = r.variants.find((v) => v.variant === 'unfiltered')!;
    const sup = r.variants.find((v) => v.variant === 'supervised')!;
    expect(sup.filterDescription).toMatch(/acct-1/);
    expect(sup.suspect.verdict).toBe('detected');
    expect(sup.suspect.pooled.scored).toBeLessThan(unf.suspect.pooled.scored);
    expect(sup.suspect.pooled.scored).toBeGreaterThan(unf.suspect.pooled.scored / 4);
    expect(sup.suspect.decoys.significant).toBe(0);
    expect(sup.suspect.decoys.uniform).toBe(true);
    expect(sup.control!.verdict).toBe('not-detected');
    const p = planFromPilot({ spec, key, pilot: join(dir, 'marked.jsonl'), alpha: 1e-6, power: 0.9, filters: [fpath] });
    expect(p.pilot!.filtered).toBe(true);
    expect(p.pilot!.scored).toBe(sup.suspect.pooled.scored);
    // a filter for another spec is refused
    const other = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/red_green', gamma: 0.5 }, keyFingerprint: key.fingerprint });
    await expect(investigateRadioactivity({ spec: other, key, transcript: join(dir, 'marked.jsonl'), variants: ['supervised'], filters: [fpath], decoyKeys: [], decoySeed: 'test', alpha: 1e-6 })).rejects.toThrow(/filter made for spec/);
  });

  it('plan from a pilot: the green rate estimated above γ, and a plan for it', () => {
    const p = planFromPilot({ spec, key, pilot: join(dir, 'marked.jsonl'), alpha: 1e-6, power: 0.9 });
    expect(p.scheme).toBe('vllm/red_green');
    expect(p.pilot!.q!).toBeGreaterThan(0.3);
    expect(p.plans[0]!.plan.tokens.exact!).toBeGreaterThan(10);
    expect(() => planFromPilot({ spec, key, pilot: join(dir, 'plain.jsonl'), alpha: 1e-6, power: 0.9 })).toThrow(/no excess rate/);
  });

  it('probeWithEvidence stops the marked suspect at the evidence, not the plain one', async () => {
    const options = (model: string, transcript: string) => ({
      baseUrl: base,
      model,
      endpoint: 'chat' as const,
      prompts,
      transcript: join(dir, transcript),
      resume: false,
      maxTokens: 60,
      temperature: 1,
      concurrency: 1,
      rps: 0,
      policy: { retries: 0, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 10_000 },
      apiKey: undefined,
      signal: new AbortController().signal,
      warn: () => {},
    });
    const clone = await probeWithEvidence(options('clone', 'clone.jsonl'), { spec, key, alpha: 1e-6 });
    expect(clone.sequential!.stop).toBe('evidence');
    expect(clone.sequential!.test).toMatch(/^vllm\/red_green: mixture of Bernoulli likelihood ratios, uniform prior on q ∈ \[0\.25/);
    expect(clone.answered).toBeLessThan(N);
    const innocent = await probeWithEvidence(options('innocent', 'innocent.jsonl'), { spec, key, alpha: 1e-6 });
    expect(innocent.sequential!.stop).toBeNull();
    expect(innocent.answered).toBe(N);
  });
});
