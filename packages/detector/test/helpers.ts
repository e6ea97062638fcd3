/**
 * Test helpers: specs/keys from fixed bytes, and a tiny watermarked generator
 * (random logits over a fixed random sub-vocabulary, δ added to green tokens,
 * softmax sampling with a seeded RNG). Deterministic for a given seed.
 */
import {
  Embedder,
  parseSpec,
  seededRng,
  Watermark,
  WatermarkKey,
  type WatermarkSpec,
  type WatermarkSpecInput,
} from '@tracemark/watermark';

/** A key from a seed (tests only: real keys come from generateKey()). */
export function testKey(seed: number | string): WatermarkKey {
  const rng = seededRng(`key:${seed}`);
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Math.floor(rng() * 256);
  return new WatermarkKey(b);
}

export function testSpec(key: WatermarkKey, input: Omit<WatermarkSpecInput, 'version' | 'keyFingerprint'>): WatermarkSpec {
  return parseSpec({ version: 1, keyFingerprint: key.fingerprint, ...input });
}

export function randomTokens(n: number, seed: number | string, vocab = 200_000): Uint32Array {
  const rng = seededRng(`toks:${seed}`);
  const t = new Uint32Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.floor(rng() * vocab);
  return t;
}

export interface GenOptions {
  n: number;
  seed: number | string;
  /** Sub-vocabulary size (default 2000 random ids below 100 000). */
  vocab?: number;
  /** Logit scale: larger = lower entropy (default 2). */
  temperature?: number;
  /** Tokens to start from (context for the first steps). */
  prefix?: ArrayLike<number>;
  /** Payload message digits (KGW payload specs): bias the colour equal to the digit at each step's position. */
  digits?: readonly number[];
}

/**
 * Watermarked token sequence for KGW/unigram (δ on green tokens) or the payload
 * variant (δ on tokens whose colour is the message digit at their position).
 * Gumbel/SynthID are generated with their own sampling rules (exact argmax /
 * tournament over candidate tokens).
 */
export function generate(wm: Watermark, opts: GenOptions): Uint32Array {
  const rng = seededRng(`gen:${opts.seed}`);
  const V = opts.vocab ?? 2000;
  const ids = new Uint32Array(V);
  const pick = seededRng(`vocab:${opts.seed}`);
  for (let i = 0; i < V; i++) ids[i] = Math.floor(pick() * 100_000);
  const prefix = opts.prefix ? Array.from(opts.prefix) : [];
  const out: number[] = [...prefix];
  const w = { hi: 0, lo: 0 };
  const sc = wm.spec.scheme;
  const logits = new Float64Array(V);
  const probs = new Float64Array(V);
  const temp = opts.temperature ?? 2;
  while (out.length < prefix.length + opts.n) {
    // Random model logits: Gaussian-ish via sum of uniforms.
    for (let i = 0; i < V; i++) logits[i] = (rng() + rng() + rng() - 1.5) * temp;
    const hasCtx = wm.windowSeed(out, out.length, w);
    if (!hasCtx) {
      out.push(ids[sampleSoftmax(logits, probs, rng)]!);
      continue;
    }
    if (sc.name === 'gumbel') {
      // argmax r^(1/p)  ⇔ argmax ln(r)/p
      softmax(logits, probs);
      let best = 0, bestV = -Infinity;
      for (let i = 0; i < V; i++) {
        const v = Math.log(wm.uniform(w, ids[i]!)) / probs[i]!;
        if (v > bestV) (bestV = v), (best = i);
      }
      out.push(ids[best]!);
      continue;
    }
    if (sc.name === 'synthid') {
      // bias by the g-value count (a simple tilt that raises the mean of g)
      for (let i = 0; i < V; i++) logits[i]! += (wm.score(w, ids[i]!) / sc.layers - 0.5) * 8;
      out.push(ids[sampleSoftmax(logits, probs, rng)]!);
      continue;
    }
    const delta = sc.delta;
    for (let i = 0; i < V; i++) {
      const t = ids[i]!;
      if (opts.digits) {
        const pos = wm.payloadPosition(w, t);
        if (wm.payloadColour(w, t) === opts.digits[pos]) logits[i]! += delta;
      } else if (wm.isGreen(w, t)) logits[i]! += delta;
    }
    out.push(ids[sampleSoftmax(logits, probs, rng)]!);
  }
  return Uint32Array.from(out.slice(prefix.length));
}

function softmax(logits: Float64Array, probs: Float64Array): void {
  let mx = -Infinity;
  for (const l of logits) mx = Math.max(mx, l);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += probs[i] = Math.exp(logits[i]! - mx);
  for (let i = 0; i < logits.length; i++) probs[i]! /= z;
}

function sampleSoftmax(logits: Float64Array, probs: Float64Array, rng: () => number): number {
  softmax(logits, probs);
  let u = rng();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i]!;
    if (u <= 0) return i;
  }
  return probs.length - 1;
}

/**
 * Watermarked tokens from the real sampler (@tracemark/watermark's Embedder):
 * random model distributions over a fixed random sub-vocabulary, each step a
 * sparse distribution with no unlisted rest.
 */
export function embed(wm: Watermark, opts: { n: number; seed: number | string; vocab?: number; temperature?: number; message?: bigint }): Uint32Array {
  const emb = new Embedder(wm, opts.message !== undefined ? { message: opts.message } : {});
  const rng = seededRng(`embed:${opts.seed}`);
  const V = opts.vocab ?? 2000;
  const pick = seededRng(`vocab:${opts.seed}`);
  const chosen = new Set<number>();
  while (chosen.size < V) chosen.add(Math.floor(pick() * 100_000));
  const ids = Int32Array.from(chosen);
  const logits = new Float64Array(V);
  const probs = new Float64Array(V);
  const temp = opts.temperature ?? 2;
  const out = new Uint32Array(opts.n);
  for (let i = 0; i < opts.n; i++) {
    for (let j = 0; j < V; j++) logits[j] = (rng() + rng() + rng() - 1.5) * temp;
    softmax(logits, probs);
    out[i] = emb.step(out, i, { ids, probs, restMass: 0 }, rng).token;
  }
  return out;
}
