/**
 * The open-model radioactivity test, measured on the clone simulator: a Kneser–Ney student
 * distilled from watermarked answers (ρ = 1) is detected when we teacher-force it on the
 * texts we served (supervised) and on fresh watermarked answers to new prompts
 * (unsupervised); a student of the same size trained on human text only (ρ = 0) is not,
 * and decoy keys stay null on both. Also: topListing, the KN model file round trip and
 * the one-line refusals of investigateOpenModel.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText, promptSet } from '@tracemark/corpora';
import { distil, encodeKnFile, generateTextSync, harvest, referenceModel } from '@tracemark/lm';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { specId, WindowHashSet } from '@tracemark/detector';
import { Ledger } from '@tracemark/serve';
import { canonicalSpecJson, Embedder, parseSpec, Watermark, WatermarkKey } from '@tracemark/watermark';
import { investigateOpenModel, teacherForce, topListing, type ForcedText } from '../src/index.js';

const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff));
const SPEC = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint });
const DECOYS = Array.from({ length: 8 }, (_, i) => new WatermarkKey(Uint8Array.from({ length: 32 }, (_, j) => (j * 13 + i * 29 + 3) & 0xff)));
const dir = mkdtempSync(join(tmpdir(), 'tracemark-open-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const teacher = referenceModel();
const human = humanText({ split: 'train' }).map((d) => d.text);
// what we served: 150 watermarked answers of ~120 tokens (≈ 18k tokens)
const served = harvest({ teacher, spec: SPEC, key: KEY, prompts: promptSet(150, 21), maxTokens: 120, seed: 9 });
const clone = distil({ harvested: served, humanText: human, rho: 1, seed: 4 }).model;
const innocent = distil({ harvested: served, humanText: human, rho: 0, seed: 4 }).model;
const servedTexts: ForcedText[] = served.map((r) => ({ tokens: [...r.promptTokens, ...r.tokens], start: r.promptTokens.length }));
// unsupervised: our model's fresh watermarked answers to prompts the harvest never used
const embedder = new Embedder(new Watermark(SPEC, KEY));
const fresh: ForcedText[] = promptSet(60, 77).map((prompt, i) => {
  const g = generateTextSync({ model: teacher, watermark: embedder, prompt, maxTokens: 120, seed: `fresh/${i}` });
  return { tokens: [...g.promptTokens, ...g.tokens], start: g.promptTokens.length };
});

describe('open-model test on distilled students (clone simulator)', () => {
  const cases = [
    ['clone (ρ = 1)', clone, 'supervised', servedTexts],
    ['clone (ρ = 1)', clone, 'unsupervised', fresh],
    ['innocent (ρ = 0)', innocent, 'supervised', servedTexts],
    ['innocent (ρ = 0)', innocent, 'unsupervised', fresh],
  ] as const;
  for (const [name, model, variant, texts] of cases) {
    it(`${name}, ${variant}`, async () => {
      const r = await teacherForce({ spec: SPEC, key: KEY, suspect: model, texts, decoyKeys: DECOYS, alpha: 1e-6 });
      const t = r.summary.test;
      console.log(
        `${name} ${variant}: ${t.windows} windows, green mass ${t.greenMass.mean.toFixed(3)} (null ${t.greenMass.nullMean.toFixed(3)}) log10 p ${t.greenMass.log10P.toFixed(1)}; ` +
          `argmax ${t.argmax.score}/${t.argmax.scored} green (expected ${t.argmax.expected.toFixed(1)}) log10 p ${t.argmax.log10P.toFixed(1)}; combined ${t.log10P.toFixed(1)}; decoys min ${r.summary.decoys.minLog10P?.toFixed(2)}`,
      );
      expect(t.windows).toBeGreaterThan(500);
      expect(r.summary.decoys.significant).toBe(0);
      if (model === clone) {
        expect(r.summary.verdict).toBe('detected');
        expect(t.greenMass.log10P).toBeLessThan(-6);
      } else {
        expect(r.summary.verdict).toBe('not-detected');
        expect(t.log10P).toBeGreaterThan(-3);
      }
    });
  }
});

describe('a partial clone (ρ = 0.1: a tenth of the training tokens harvested)', () => {
  it('is detected on the served texts (supervised)', async () => {
    const partial = distil({ harvested: served, humanText: human, rho: 0.1, seed: 4 }).model;
    const r = await teacherForce({ spec: SPEC, key: KEY, suspect: partial, texts: servedTexts, decoyKeys: DECOYS, alpha: 1e-6 });
    console.log(`partial clone ρ = 0.1 supervised: green mass ${r.summary.test.greenMass.mean.toFixed(4)} log10 p ${r.summary.test.greenMass.log10P.toFixed(1)}; argmax log10 p ${r.summary.test.argmax.log10P.toFixed(1)}`);
    expect(r.summary.verdict).toBe('detected');
    expect(r.summary.decoys.significant).toBe(0);
  });
});

describe('supervised window filter (the ledger windows of some accounts)', () => {
  it('reads only positions whose window (real key) is in the filter', async () => {
    // the windows of the first 30 served answers, as a ledger export would list them
    const wm = new Watermark(SPEC, KEY);
    const filter = new WindowHashSet();
    const w = { hi: 0, lo: 0 };
    for (const t of servedTexts.slice(0, 30)) for (let end = t.start; end < t.tokens.length; end++) if (wm.windowSeed(t.tokens, end, w)) filter.add(w.hi >>> 0, w.lo >>> 0);
    const all = await teacherForce({ spec: SPEC, key: KEY, suspect: clone, texts: servedTexts, decoyKeys: DECOYS, alpha: 1e-6 });
    const r = await teacherForce({ spec: SPEC, key: KEY, suspect: clone, texts: servedTexts, filter, decoyKeys: DECOYS, alpha: 1e-6 });
    expect(r.unselected).toBeGreaterThan(0);
    expect(r.responseTokens).toBe(all.responseTokens);
    expect(r.summary.test.windows).toBe(filter.size);
    expect(r.summary.test.windows).toBeLessThan(all.summary.test.windows);
    expect(r.summary.verdict).toBe('detected');
    expect(r.summary.decoys.significant).toBe(0);
  });
});

describe('topListing', () => {
  it('keeps the k most likely tokens and moves the others into the rest', () => {
    const l = topListing({ ids: Int32Array.from([3, 9, 4, 7]), probs: Float64Array.from([0.1, 0.4, 0.3, 0.05]), restMass: 0.15 }, 2);
    expect([...l.ids]).toEqual([9, 4]);
    expect([...l.probs]).toEqual([0.4, 0.3]);
    expect(l.restMass).toBeCloseTo(0.3, 12);
  });
});

describe('investigateOpenModel', () => {
  it('reads a saved KN student and the served texts; refuses bad input in one line', async () => {
    const file = join(dir, 'clone.tmkn');
    writeFileSync(file, encodeKnFile(clone.data, { corpusFingerprint: 'test', params: { rho: 1 } }));
    const servedFile = join(dir, 'served.jsonl');
    writeFileSync(servedFile, served.slice(0, 60).map((r, i) => JSON.stringify({ id: `p${i}`, prompt: r.prompt, text: r.text })).join('\n') + '\n');
    const r = await investigateOpenModel({ spec: SPEC, key: KEY, model: file, served: servedFile, decoyKeys: DECOYS.slice(0, 3), decoySeed: '0'.repeat(64), alpha: 1e-6 });
    expect(r.variants.map((v) => v.variant)).toEqual(['supervised']);
    expect(r.variants[0]!.texts).toBe(60);
    expect(r.verdict).toBe('detected');
    const base = { spec: SPEC, key: KEY, decoyKeys: [], decoySeed: '0'.repeat(64), alpha: 1e-6 };
    await expect(investigateOpenModel({ ...base, model: file })).rejects.toThrow(/needs texts/);
    await expect(investigateOpenModel({ ...base, model: join(dir, 'nope'), served: servedFile })).rejects.toThrow(/--model must be "builtin" or a model directory/);
    await expect(investigateOpenModel({ ...base, model: servedFile, served: servedFile })).rejects.toThrow(/not a Kneser–Ney model file/);
  });
});

describe('investigateOpenModel reading the served completions from the ledger', () => {
  it('teacher-forces the completions the proxy recorded (token ids), per account; refuses a ledger without any', async () => {
    const path = join(dir, 'ledger.sqlite');
    const ledger = Ledger.openForWriting(path, { specId: specId(SPEC), keyFingerprint: KEY.fingerprint, specJson: canonicalSpecJson(SPEC) });
    const row = (i: number, tokens: Uint32Array | null) => ({
      responseId: `r${i}`, choice: 0, account: i % 2 ? 'bob' : 'alice', accountId: null, created: new Date(1_700_000_000_000 + i), modelId: 'm',
      endpoint: 'completions' as const, finishReason: 'stop', textSha256: 'a'.repeat(64), promptSha256: 'b'.repeat(64), promptTokens: 0,
      completionTokens: tokens?.length ?? 0, windows: [], params: null, upstreamId: `u${i}`, tokenIds: tokens,
    });
    ledger.recordMany(served.slice(0, 100).map((r, i) => row(i, i === 0 ? null : Uint32Array.from(r.tokens))));
    ledger.close();
    const base = { spec: SPEC, key: KEY, model: 'builtin', decoyKeys: DECOYS.slice(0, 3), decoySeed: '0'.repeat(64), alpha: 1e-6 };
    const file = join(dir, 'clone-ledger.tmkn');
    writeFileSync(file, encodeKnFile(clone.data, { corpusFingerprint: 'test', params: { rho: 1 } }));
    const r = await investigateOpenModel({ ...base, model: file, ledger: path, accounts: ['alice'] });
    expect(r.variants[0]!.texts).toBe(49); // alice: the 50 even rows, row 0 without token ids
    expect(r.variants[0]!.description).toMatch(/49 of 50 responses have token ids/);
    expect(r.verdict).toBe('detected');
    const control = await investigateOpenModel({ ...base, ledger: path });
    expect(control.variants[0]!.texts).toBe(99);
    expect(control.verdict).toBe('not-detected');
    await expect(investigateOpenModel({ ...base, ledger: path, accounts: ['nobody'] })).rejects.toThrow(/no response of the asked accounts has token ids/);
    await expect(investigateOpenModel({ ...base, ledger: path, served: path })).rejects.toThrow(/give the served texts once/);
  });
});

describe('investigateOpenModel with an ONNX model directory', () => {
  const modelDir = join(dir, 'tiny-onnx');
  beforeAll(async () => {
    await writeTinyCausalLM(modelDir, { vocabSize: 256, hidden: 16, seed: 3 });
  });

  it('reads the suspect through the ONNX adapter; the unwatermarked model itself is not detected on our fresh answers', async () => {
    const key = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff));
    const spec = parseSpec({ version: 1, tokenizer: `hf:${modelDir}`, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
    const prompts = join(dir, 'tiny-prompts.txt');
    writeFileSync(prompts, ['ba be', 'ko mu', 'la pe ri', 'sa to', 'vi ze'].join('\n') + '\n');
    const r = await investigateOpenModel({
      spec,
      key,
      model: modelDir,
      prompts,
      teacher: { model: modelDir, responsesPerPrompt: 2, maxTokens: 40, temperature: 1, seed: 1 },
      decoyKeys: DECOYS.slice(0, 3),
      decoySeed: '0'.repeat(64),
      alpha: 1e-6,
    });
    const v = r.variants[0]!;
    console.log(`tiny ONNX suspect: ${v.test.windows} windows, green mass ${v.test.greenMass.mean.toFixed(3)}, log10 p ${v.test.log10P.toFixed(2)}`);
    expect(v.variant).toBe('unsupervised');
    expect(v.texts).toBe(10);
    expect(v.test.windows).toBeGreaterThan(50);
    expect(r.verdict).toBe('not-detected');
  }, 120_000);
});
