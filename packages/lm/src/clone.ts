/**
 * The clone simulator: what a distiller does to a watermarked API, in miniature.
 *
 *   harvest: query the teacher through its (watermarked) API from many accounts;
 *            each response carries the account id as payload when the spec has one.
 *   distil:  train a student on a mix of harvested and human text: ρ = 1 is a pure
 *            clone, ρ = 0 the innocent control trained on human text only, with the
 *            same amount of training text either way.
 * The student is an n-gram (Kneser–Ney) model, so what it inherits from the
 * harvest is exactly its n-gram statistics: with context width h = 1 those carry
 * the green-list bias (the "radioactivity" of Sander et al. 2024).
 */
import { Embedder, Watermark, type SamplingOptions, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { generateTextSync, type StepEmbedder } from './generate.js';
import { KneserNeyModel } from './kn/model.js';
import { DEFAULT_ORDER, trainKneserNey } from './kn/train.js';
import { encode } from './tokenizer.js';
import type { LanguageModel } from './types.js';

export interface HarvestOptions extends SamplingOptions {
  teacher: LanguageModel;
  /** The embedder serving an account; or give `spec` and `key` (payload = account id). */
  embedderForAccount?: (account: number) => StepEmbedder | undefined;
  spec?: WatermarkSpec;
  key?: WatermarkKey;
  prompts: readonly string[];
  /** Responses per prompt (default 1). */
  responsesPerPrompt?: number;
  /** Account ids, or a count n for ids 1..n (default 1). Responses go to accounts round-robin. */
  accounts?: number | readonly number[];
  maxTokens: number;
  stop?: readonly string[];
  seed: number;
}

export interface HarvestedResponse {
  account: number;
  promptIndex: number;
  prompt: string;
  /** The response (prompt excluded). */
  text: string;
  tokens: number[];
  promptTokens: number[];
  watermarkedSteps: number;
}

export function harvest(opts: HarvestOptions): HarvestedResponse[] {
  const perPrompt = opts.responsesPerPrompt ?? 1;
  if (!Number.isInteger(perPrompt) || perPrompt < 1) throw new Error(`harvest: responsesPerPrompt must be an integer ≥ 1 (got ${perPrompt})`);
  if (!Array.isArray(opts.prompts) || opts.prompts.length === 0) throw new Error('harvest: prompts must be a non-empty array of strings');
  if (!Number.isInteger(opts.seed)) throw new Error(`harvest: seed must be an integer (got ${opts.seed})`);
  const accounts = accountIds(opts.accounts ?? 1);
  const embedderFor = embedderFactory(opts);
  const out: HarvestedResponse[] = [];
  let k = 0;
  for (let p = 0; p < opts.prompts.length; p++) {
    const prompt = opts.prompts[p]!;
    for (let r = 0; r < perPrompt; r++, k++) {
      const account = accounts[k % accounts.length]!;
      const res = generateTextSync({
        model: opts.teacher,
        watermark: embedderFor(account),
        prompt,
        maxTokens: opts.maxTokens,
        ...(opts.stop ? { stop: opts.stop } : {}),
        ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
        ...(opts.topK !== undefined ? { topK: opts.topK } : {}),
        ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
        seed: `${opts.seed}/${k}`,
      });
      out.push({
        account,
        promptIndex: p,
        prompt,
        text: res.text,
        tokens: res.tokens,
        promptTokens: res.promptTokens,
        watermarkedSteps: res.watermarkedSteps,
      });
    }
  }
  return out;
}

function accountIds(a: number | readonly number[]): number[] {
  const ids = typeof a === 'number' ? Array.from({ length: a }, (_, i) => i + 1) : [...a];
  if (ids.length === 0 || ids.some((x) => !Number.isSafeInteger(x) || x < 0)) {
    throw new Error('harvest: accounts must be a positive count or a non-empty list of non-negative integer ids');
  }
  return ids;
}

function embedderFactory(opts: HarvestOptions): (account: number) => StepEmbedder | undefined {
  if (opts.embedderForAccount) {
    if (opts.spec || opts.key) throw new Error('harvest: give either embedderForAccount or spec + key, not both');
    return opts.embedderForAccount;
  }
  if (!opts.spec || !opts.key) throw new Error('harvest: give embedderForAccount, or spec and key');
  const wm = new Watermark(opts.spec, opts.key);
  if (!opts.spec.payload) {
    const e = new Embedder(wm);
    return () => e;
  }
  const cache = new Map<number, Embedder>();
  return (account) => {
    let e = cache.get(account);
    if (!e) {
      e = new Embedder(wm, { message: BigInt(account) });
      cache.set(account, e);
    }
    return e;
  };
}

export interface DistilOptions {
  /** Harvested responses (each trained on as prompt + response), or plain texts. */
  harvested: readonly (HarvestedResponse | string)[];
  /** Human documents for the (1 − ρ) share. */
  humanText: readonly string[];
  /** Fraction of the training tokens that come from the harvest, 0 … 1. */
  rho: number;
  /** Student n-gram order (default 3). */
  order?: number;
  /** Total training tokens (default: all harvested tokens, so ρ = 1 uses the whole harvest). */
  trainingTokens?: number;
  seed: number;
  /** tiktoken encoding (default o200k_base). */
  encoding?: string;
}

export interface DistilResult {
  model: KneserNeyModel;
  harvestedTokens: number;
  humanTokens: number;
  documents: number;
}

export function distil(opts: DistilOptions): DistilResult {
  const { rho } = opts;
  if (typeof rho !== 'number' || !(rho >= 0 && rho <= 1)) throw new Error(`distil: rho must be in [0, 1] (got ${rho})`);
  if (!Number.isInteger(opts.seed)) throw new Error(`distil: seed must be an integer (got ${opts.seed})`);
  const encoding = opts.encoding ?? 'o200k_base';
  const harvestedDocs = opts.harvested.map((h) => encode(encoding, typeof h === 'string' ? h : h.prompt + h.text));
  const available = harvestedDocs.reduce((a, d) => a + d.length, 0);
  const total = opts.trainingTokens ?? available;
  if (!Number.isInteger(total) || total < 1) throw new Error(`distil: trainingTokens must be a positive integer (got ${total})`);
  const wantHarvest = Math.round(rho * total);
  if (wantHarvest > available) throw new Error(`distil: ρ·trainingTokens = ${wantHarvest} but only ${available} harvested tokens exist`);
  const docs: Uint32Array[] = [];
  const harvestedTokens = takeTokens((i) => harvestedDocs[i]!, harvestedDocs.length, wantHarvest, opts.seed, docs);
  // Human documents are encoded only as they are taken: the corpus is far larger than one share.
  const human = opts.humanText;
  const humanTokens = takeTokens((i) => encode(encoding, human[i]!), human.length, total - wantHarvest, opts.seed + 1, docs);
  if (humanTokens < total - wantHarvest) {
    throw new Error(`distil: needs ${total - wantHarvest} human tokens but humanText has only ${humanTokens}`);
  }
  const data = trainKneserNey(docs, { order: opts.order ?? DEFAULT_ORDER, encoding });
  const model = new KneserNeyModel(data, { id: `kn${data.order}-student-rho${rho}-seed${opts.seed}` });
  return { model, harvestedTokens, humanTokens, documents: docs.length };
}

/**
 * Append documents in a seeded random order until `want` tokens are taken (the last
 * one cut at a token boundary). Returns the number of tokens taken.
 */
function takeTokens(get: (i: number) => Uint32Array, count: number, want: number, seed: number, into: Uint32Array[]): number {
  if (want <= 0) return 0;
  const order = shuffled(count, seed);
  let taken = 0;
  for (const i of order) {
    const d = get(i);
    if (d.length === 0) continue;
    const part = d.length <= want - taken ? d : d.subarray(0, want - taken);
    into.push(part);
    taken += part.length;
    if (taken >= want) break;
  }
  return taken;
}

/**
 * Fisher–Yates permutation of 0..n-1 from a small seeded generator (mulberry32): the order
 * in which distil takes documents (exported so experiments can reproduce a student's data).
 */
export function shuffled(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}
