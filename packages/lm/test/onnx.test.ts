/**
 * End-to-end tests of the ONNX/transformers.js adapter on a tiny causal LM that
 * the suite writes itself (an ONNX graph encoded with onnx-proto). Nothing is
 * downloaded: in this process fetch is a spy that must never be called, and the
 * adapter's model process replaces fetch with a function that always fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AutoTokenizer, env, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import onnxProto from 'onnx-proto';
import {
  Embedder,
  parseSpec,
  seededRng,
  Watermark,
  WatermarkKey,
  type Rng,
  type Seed,
  type SparseDistribution,
} from '@tracemark/watermark';
import {
  configureLocalOnly,
  generateSync,
  loadOnnxLanguageModel,
  loadTransformersCausalLM,
  sparseFromLogits,
  WatermarkLogitsProcessor,
  type OnnxLanguageModel,
} from '../src/index.js';
import { writeTinyCausalLM, type TinyModelInfo } from '@tracemark/lm/testing';

const { onnx } = onnxProto;
const VOCAB = 256;
const N_NEW = 300;

let root: string;
let modelDir: string;
let info: TinyModelInfo;
let lm: OnnxLanguageModel;
let hf: { model: PreTrainedModel; tokenizer: PreTrainedTokenizer };
const fetchSpy = vi.fn(async (..._args: unknown[]): Promise<Response> => {
  throw new Error('network access attempted');
});

beforeAll(async () => {
  vi.stubGlobal('fetch', fetchSpy);
  root = await mkdtemp(join(tmpdir(), 'tracemark-onnx-'));
  modelDir = join(root, 'tiny-lm');
  info = await writeTinyCausalLM(modelDir, { vocabSize: VOCAB, hidden: 16, seed: 7 });
  lm = await loadOnnxLanguageModel(modelDir);
  const loaded = await loadTransformersCausalLM(modelDir);
  hf = { model: loaded.model, tokenizer: loaded.tokenizer };
});

afterAll(async () => {
  vi.unstubAllGlobals();
  await lm?.dispose();
  await hf?.model.dispose();
  if (root) await rm(root, { recursive: true, force: true });
  expect(fetchSpy).not.toHaveBeenCalled();
});

// ---------------------------------------------------------------------------
// helpers

function makeWatermark(delta: number, scheme: 'kgw' | 'gumbel' = 'kgw', keyByte = 0x5a): Watermark {
  const key = new WatermarkKey(new Uint8Array(32).fill(keyByte));
  const spec = parseSpec({
    version: 1,
    tokenizer: lm.tokenizer,
    scheme: scheme === 'kgw' ? { name: 'kgw', gamma: 0.25, delta } : { name: 'gumbel' },
    context: { width: 1, mode: 'left' },
    keyFingerprint: key.fingerprint,
  });
  return new Watermark(spec, key);
}

/** log P(S ≥ s) for S ~ Binomial(n, p), summed in log space. */
function logBinomialTail(n: number, s: number, p: number): number {
  if (s <= 0) return 0;
  const lf = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) lf[i] = lf[i - 1]! + Math.log(i);
  const terms: number[] = [];
  for (let k = s; k <= n; k++) terms.push(lf[n]! - lf[k]! - lf[n - k]! + k * Math.log(p) + (n - k) * Math.log1p(-p));
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((a, t) => a + Math.exp(t - m), 0));
}

/** log P(X ≤ k) for X ~ Poisson(x), summed in log space. */
function logPoissonCdf(k: number, x: number): number {
  const terms: number[] = [];
  let lf = 0;
  for (let j = 0; j <= k; j++) {
    if (j > 0) lf += Math.log(j);
    terms.push(-x + j * Math.log(x) - lf);
  }
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((a, t) => a + Math.exp(t - m), 0));
}

/** KGW score of tokens[from..]: green count over deduplicated (window seed, token) tuples, and the exact p-value. */
function kgwScore(wm: Watermark, tokens: ArrayLike<number>, from: number) {
  const seed: Seed = { hi: 0, lo: 0 };
  const seen = new Set<string>();
  let n = 0;
  let green = 0;
  for (let i = Math.max(from, 1); i < tokens.length; i++) {
    if (!wm.windowSeed(tokens, i, seed)) continue;
    const t = tokens[i]!;
    const k = `${seed.hi}:${seed.lo}:${t}`;
    if (seen.has(k)) continue;
    seen.add(k);
    n++;
    if (wm.isGreen(seed, t)) green++;
  }
  const log10p = logBinomialTail(n, green, wm.gammaEff) / Math.LN10;
  return { n, green, log10p };
}

function ids(t: Tensor | bigint[][] | unknown): number[] {
  const list = (t as Tensor).tolist() as bigint[][];
  return list[0]!.map(Number);
}

function i64(tokens: number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]);
}

function ones(n: number): Tensor {
  return new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
}

/** Generate with transformers.js's own loop; Math.random (its sampler's source) is seeded for reproducibility. */
async function hfGenerate(prompt: number[], seed: number, processor?: WatermarkLogitsProcessor, maxNew = N_NEW): Promise<number[]> {
  const rng = seededRng(seed);
  const spy = vi.spyOn(Math, 'random').mockImplementation(rng);
  try {
    const out = await hf.model.generate({
      inputs: i64(prompt),
      attention_mask: ones(prompt.length),
      max_new_tokens: maxNew,
      do_sample: true,
      top_k: 0,
      ...(processor && { logits_processor: [processor] }),
    } as Parameters<PreTrainedModel['generate']>[0]);
    return ids(out);
  } finally {
    spy.mockRestore();
  }
}

/** Plain draw from a sparse distribution (no watermark). */
function draw(d: SparseDistribution, rng: Rng): number {
  let u = rng();
  for (let j = 0; j < d.ids.length; j++) {
    u -= d.probs[j]!;
    if (u < 0) return d.ids[j]!;
  }
  return d.restMass > 0 && d.sampleRest ? d.sampleRest(rng) : d.ids[d.ids.length - 1]!;
}

const PROMPT_TEXT = 'ba ke di mo su';

// ---------------------------------------------------------------------------

describe('tiny ONNX causal LM writer', () => {
  it('writes every file transformers.js needs, with a well-formed ONNX graph', () => {
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(existsSync(join(modelDir, f)), f).toBe(true);
    }
    const model = onnx.ModelProto.decode(readFileSync(join(modelDir, 'onnx/model.onnx')));
    expect(model.graph!.input!.map((i) => i.name)).toEqual([
      'input_ids',
      'attention_mask',
      'past_key_values.0.key',
      'past_key_values.0.value',
    ]);
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['logits', 'present.0.key', 'present.0.value']);
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
    expect(config.vocab_size).toBe(VOCAB);
    expect(info.vocab).toHaveLength(VOCAB);
    expect(new Set(info.vocab).size).toBe(VOCAB);
  });

  it('is deterministic in its seed', async () => {
    const again = await writeTinyCausalLM(join(root, 'again'), { vocabSize: VOCAB, hidden: 16, seed: 7 });
    const other = await writeTinyCausalLM(join(root, 'other'), { vocabSize: VOCAB, hidden: 16, seed: 8 });
    const bytes = (d: string) => readFileSync(join(d, 'onnx/model.onnx'));
    expect(bytes(again.dir).equals(bytes(modelDir))).toBe(true);
    expect(bytes(other.dir).equals(bytes(modelDir))).toBe(false);
  });

  it('rejects bad sizes with one-line errors', async () => {
    await expect(writeTinyCausalLM(join(root, 'bad'), { vocabSize: 10 })).rejects.toThrow(/^vocabSize must be an integer in 64\.\.65536, got 10$/);
    await expect(writeTinyCausalLM(join(root, 'bad'), { hidden: 1.5 })).rejects.toThrow(/^hidden must be an integer/);
  });
});

describe('local-only loading', () => {
  it('fails clearly, without fetching, for a directory that does not exist', async () => {
    await expect(loadOnnxLanguageModel(join(root, 'missing'))).rejects.toThrow(/^ONNX model directory not found: .*missing \(only local directories are loaded; nothing is downloaded\)$/);
    // A Hub-style name is a local path too, never a download.
    await expect(loadOnnxLanguageModel('Xenova/gpt2')).rejects.toThrow(/ONNX model directory not found/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('names the missing file of an incomplete directory', async () => {
    const partial = join(root, 'partial');
    await writeTinyCausalLM(partial, { vocabSize: 64, hidden: 4 });
    await rm(join(partial, 'onnx', 'model.onnx'));
    await expect(loadOnnxLanguageModel(partial)).rejects.toThrow(/onnx\/model\.onnx not found \(dtype fp32 selects this file\)$/);
    await expect(loadOnnxLanguageModel(modelDir, { dtype: 'q8' })).rejects.toThrow(/model_quantized\.onnx not found/);
    await expect(loadOnnxLanguageModel(modelDir, { tokenizerId: 'o200k_base' })).rejects.toThrow(/tokenizer id must be "hf:<name>"/);
  });

  it('leaves transformers.js with remote loading off: a Hub id fails locally instead of fetching', async () => {
    configureLocalOnly();
    expect(env.allowRemoteModels).toBe(false);
    expect(env.allowLocalModels).toBe(true);
    await expect(AutoTokenizer.from_pretrained('Xenova/gpt2')).rejects.toThrow(/allowRemoteModels=false.*not found locally/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe('OnnxLanguageModel', () => {
  it('reports an unreadable ONNX file and a disposed model with one-line errors', async () => {
    const broken = join(root, 'broken');
    await writeTinyCausalLM(broken, { vocabSize: 64, hidden: 4 });
    await writeFile(join(broken, 'onnx', 'model.onnx'), 'not a protobuf');
    await expect(loadOnnxLanguageModel(broken)).rejects.toThrow(/^cannot load the ONNX model in .*broken: [^\n]+$/);

    await writeTinyCausalLM(join(root, 'small'), { vocabSize: 64, hidden: 4 });
    const small = await loadOnnxLanguageModel(join(root, 'small'));
    expect(small.logits([5], 1)).toHaveLength(64);
    await small.dispose();
    expect(() => small.logits([5], 1)).toThrow(/^the ONNX language model was disposed$/);
    await expect(small.logitsAsync([5], 1)).rejects.toThrow(/disposed/);
  });

  it('turns a dead model process into errors instead of a hang', async () => {
    const victim = await loadOnnxLanguageModel(join(root, 'small'));
    expect(victim.pid).not.toBe(process.pid);
    process.kill(victim.pid, 'SIGKILL');
    let error: Error | undefined;
    for (let i = 0; i < 500 && !error; i++) {
      await victim.logitsAsync([5], 1).then(
        () => new Promise((r) => setTimeout(r, 10)),
        (e: Error) => (error = e),
      );
    }
    expect(error?.message).toMatch(/^ONNX forward pass failed: the ONNX model process (exited \(signal SIGKILL\)|is unreachable)/);
    expect(() => victim.logits([5], 1)).toThrow(/^ONNX forward pass failed: the ONNX model process/);
    await victim.dispose().catch(() => {});
  });

  it('implements the LanguageModel contract with the model’s own tokenizer', () => {
    expect(lm.vocabSize).toBe(VOCAB);
    expect(lm.tokenizer).toBe('hf:tiny-lm');
    expect(lm.maxContext).toBe(4096);
    expect(lm.hasKvCache).toBe(true);
    expect(lm.inputNames).toEqual(['input_ids', 'attention_mask', 'past_key_values.0.key', 'past_key_values.0.value']);
    expect(lm.eos).toBe(info.eosTokenId);
    expect(lm.bosTokenId).toBe(info.bosTokenId);
    const tokens = lm.encode('Ba ke, di mo. zork');
    expect(tokens.slice(0, 6).map((t) => info.vocab[t])).toEqual(['ba', 'ke', ',', 'di', 'mo', '.']);
    expect(lm.decode(tokens)).toBe('ba ke, di mo. zork');
    expect(() => lm.decode([VOCAB])).toThrow(/token id 256 is outside the vocabulary 0\.\.255/);
  });

  it('computes the same logits as transformers.js in this thread, through its key/value cache', async () => {
    const prompt = lm.encode('ba ke di mo su ta');
    const direct = await hf.model({ input_ids: i64(prompt), attention_mask: ones(prompt.length) });
    const all = direct.logits.data as Float32Array; // [1, n, V]
    for (let n = 1; n <= prompt.length; n++) {
      // Growing prefixes: every call after the first runs one new token against the cache.
      const got = lm.logits(prompt, n);
      const want = all.subarray((n - 1) * VOCAB, n * VOCAB);
      for (let v = 0; v < VOCAB; v += 17) expect(got[v]).toBeCloseTo(want[v]!, 4);
    }
    // A prefix that does not extend the cached one starts over; the async twin agrees.
    const fresh = await lm.logitsAsync(prompt, 3);
    const cached = lm.logits(prompt, 3);
    expect(Array.from(cached)).toEqual(Array.from(fresh));
  });

  it('depends on the whole prefix, not only the last token', () => {
    const a = lm.logits(lm.encode('ba ke di'), 3);
    const b = lm.logits(lm.encode('zu ke di'), 3);
    const maxDiff = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));
    expect(maxDiff).toBeGreaterThan(1e-3);
  });

  it('uses [BOS] for an empty prefix and validates its arguments', () => {
    expect(Array.from(lm.logits([], 0))).toEqual(Array.from(lm.logits([info.bosTokenId], 1)));
    expect(() => lm.logits([1, 2], 3)).toThrow(/prefixLength 3 is not in 0\.\.2/);
    expect(() => lm.logits([1, -4], 2)).toThrow(/token id -4 is outside the vocabulary/);
  });

  it('returns the exact softmax as a sparse distribution, with temperature, top-k and top-p', () => {
    const prefix = lm.encode('ba ke di');
    const logits = lm.logits(prefix, prefix.length);
    const max = Math.max(...logits);
    const z = logits.reduce((a, l) => a + Math.exp(l - max), 0);
    const d = lm.distribution(prefix, prefix.length, {});
    const total = d.probs.reduce((a, p) => a + p, 0) + d.restMass;
    expect(total).toBeCloseTo(1, 12);
    for (let j = 0; j < d.ids.length; j++) {
      expect(d.probs[j]).toBeCloseTo(Math.exp(logits[d.ids[j]!]! - max) / z, 9);
      if (j > 0) expect(d.probs[j]!).toBeLessThanOrEqual(d.probs[j - 1]!);
    }
    expect(d.restMass).toBeLessThan(1e-12);

    const k5 = lm.distribution(prefix, prefix.length, { topK: 5, temperature: 0.7 });
    expect(Array.from(k5.ids)).toEqual(Array.from(d.ids.slice(0, 5)));
    expect(k5.restMass).toBe(0);
    expect(k5.probs.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 12);

    const nucleus = lm.distribution(prefix, prefix.length, { topP: 0.5 });
    let cum = 0;
    let m = 0;
    while (cum < 0.5) cum += d.probs[m++]!;
    expect(nucleus.ids.length).toBe(m);
    expect(() => lm.distribution(prefix, prefix.length, { topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
  });

  it('samples the unlisted rest in proportion to the model probabilities', () => {
    // Logits 0, −1, −30, −31: with tail 1e-9 only the first two are listed.
    const logits = Float32Array.of(0, -1, -30, -31);
    const d = sparseFromLogits(logits, {}, 1e-9);
    expect(Array.from(d.ids)).toEqual([0, 1]);
    expect(d.restMass).toBeGreaterThan(0);
    const rng = seededRng(3);
    let first = 0;
    for (let i = 0; i < 4000; i++) if (d.sampleRest!(rng) === 2) first++;
    // P(2 | rest) = e / (1 + e) ≈ 0.731: 4000 draws give a standard error of 0.007.
    expect(first / 4000).toBeGreaterThan(0.69);
    expect(first / 4000).toBeLessThan(0.77);
  });
});

describe('watermarked generation', () => {
  it('through transformers.js generate() with the logits-processor hook (KGW bias)', async () => {
    const prompt = lm.encode(PROMPT_TEXT);
    const wm = makeWatermark(3);
    const processor = new WatermarkLogitsProcessor(wm);
    expect(processor.mode).toBe('bias');
    const marked = await hfGenerate(prompt, 11, processor);
    expect(marked).toHaveLength(prompt.length + N_NEW);
    expect(processor.steps).toBe(N_NEW);
    const s = kgwScore(wm, marked, prompt.length);
    expect(s.n).toBeGreaterThan(200);
    expect(s.log10p).toBeLessThan(-6);

    const plain = await hfGenerate(prompt, 11);
    const s0 = kgwScore(wm, plain, prompt.length);
    expect(s0.log10p).toBeGreaterThan(-2);
    // The text is the model's: it decodes with the model's tokenizer.
    expect(hf.tokenizer.decode(marked.slice(prompt.length), { skip_special_tokens: true }).length).toBeGreaterThan(N_NEW);
  });

  it('through the adapter and the Embedder (sparse path)', () => {
    const prompt = lm.encode(PROMPT_TEXT);
    const wm = makeWatermark(3);
    const embedder = new Embedder(wm);
    const generateWith = (mark: boolean, seed: number): number[] => {
      const rng = seededRng(seed);
      const tokens = prompt.slice();
      for (let i = 0; i < N_NEW; i++) {
        if (mark) {
          const logits = lm.logits(tokens, tokens.length);
          tokens.push(embedder.stepSparseFromLogits(tokens, tokens.length, logits, {}, rng).token);
        } else {
          tokens.push(draw(lm.distribution(tokens, tokens.length, {}), rng));
        }
      }
      return tokens;
    };
    const s = kgwScore(wm, generateWith(true, 21), prompt.length);
    expect(s.n).toBeGreaterThan(200);
    expect(s.log10p).toBeLessThan(-6);
    const s0 = kgwScore(wm, generateWith(false, 21), prompt.length);
    expect(s0.log10p).toBeGreaterThan(-2);
    // A different key sees nothing in the marked text.
    const decoy = kgwScore(makeWatermark(3, 'kgw', 0x33), generateWith(true, 21), prompt.length);
    expect(decoy.log10p).toBeGreaterThan(-2);
  });

  it('through the @tracemark/lm generation loop, with the model’s tokenizer streaming the text', () => {
    const wm = makeWatermark(3);
    const run = (watermark: Embedder | undefined) => {
      const pieces: string[] = [];
      const it = generateSync({
        model: lm,
        watermark,
        prompt: PROMPT_TEXT,
        maxTokens: N_NEW,
        seed: 31,
        encode: (text) => lm.encode(text),
        decoder: lm.streamDecoder(),
      });
      for (;;) {
        const r = it.next();
        if (r.done) return { summary: r.value, streamed: pieces.join('') };
        pieces.push(r.value.text);
      }
    };
    const marked = run(new Embedder(wm));
    expect(marked.summary.tokens).toHaveLength(N_NEW);
    expect(marked.summary.promptTokens).toEqual(lm.encode(PROMPT_TEXT));
    expect(marked.summary.watermarkedSteps).toBe(N_NEW);
    expect(marked.streamed).toBe(marked.summary.text);
    expect(marked.summary.text).toBe(lm.decode(marked.summary.tokens));
    const all = [...marked.summary.promptTokens, ...marked.summary.tokens];
    expect(kgwScore(wm, all, marked.summary.promptTokens.length).log10p).toBeLessThan(-6);

    const plain = run(undefined);
    const allPlain = [...plain.summary.promptTokens, ...plain.summary.tokens];
    expect(kgwScore(wm, allPlain, plain.summary.promptTokens.length).log10p).toBeGreaterThan(-2);
  });

  it("'sample' mode in transformers.js's loop reproduces the adapter + Embedder token for token", async () => {
    const prompt = lm.encode(PROMPT_TEXT);
    const wm = makeWatermark(3);
    const processor = new WatermarkLogitsProcessor(wm, { mode: 'sample', seed: 99 });
    const viaHook = await hfGenerate(prompt, 5, processor);

    const embedder = new Embedder(wm);
    const rng = seededRng(99);
    const viaAdapter = prompt.slice();
    for (let i = 0; i < N_NEW; i++) {
      const logits = lm.logits(viaAdapter, viaAdapter.length);
      viaAdapter.push(embedder.stepDense(viaAdapter, viaAdapter.length, logits, {}, rng).token);
    }
    expect(viaHook).toEqual(viaAdapter);
    expect(kgwScore(wm, viaHook, prompt.length).log10p).toBeLessThan(-6);
  });

  it("'sample' mode carries a distortion-free scheme (Gumbel) through transformers.js", async () => {
    const wm = makeWatermark(3, 'gumbel');
    expect(new WatermarkLogitsProcessor(wm).mode).toBe('sample');
    expect(() => new WatermarkLogitsProcessor(wm, { mode: 'bias' })).toThrow(/gumbel scheme cannot be applied as a logit bias/);
    // With h = 1 a Gumbel text is a deterministic function of its previous token and
    // soon cycles, so the evidence comes from many short texts, pooled with deduplication.
    const embedder = new Embedder(wm);
    const pick = seededRng(8);
    const words = info.vocab.length - 57; // ids ≥ 57 are the syllable words
    const seed: Seed = { hi: 0, lo: 0 };
    const seen = new Set<string>();
    let n = 0;
    let score = 0;
    for (let text = 0; text < 30; text++) {
      const prompt = Array.from({ length: 3 }, () => 57 + Math.floor(pick() * words));
      const out = await hfGenerate(prompt, 6, new WatermarkLogitsProcessor(wm, { seed: text }), 12);
      for (let i = prompt.length; i < out.length; i++) {
        // Each token is the Gumbel argmax: the embedder's law of the step is one-hot on it.
        if (text < 3) expect(embedder.distribution(out, i, lm.logits(out, i))[out[i]!]).toBe(1);
        wm.windowSeed(out, i, seed);
        const k = `${seed.hi}:${seed.lo}:${out[i]}`;
        if (seen.has(k)) continue;
        seen.add(k);
        n++;
        score += wm.score(seed, out[i]!);
      }
    }
    expect(n).toBeGreaterThan(100);
    // Under the null the score is Gamma(n, 1): P(score ≥ x) = P(Poisson(x) ≤ n − 1).
    expect(logPoissonCdf(n - 1, score) / Math.LN10).toBeLessThan(-6);
  });
});
