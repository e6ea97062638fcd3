/**
 * The logprob test (docs/RADIOACTIVITY.md §4c): a simulated closed suspect that samples its
 * answers from its own next-token distribution and returns the top-k of it at every
 * position. Validity over 300 keys (a key-independent suspect; also its Bonferroni
 * combination with the sampled-token test on the same answers), power against a suspect
 * tilted toward our green tokens, prompt exclusion, unknown tokens, listings from logprobs.
 */
import { seededRng, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { describe, expect, it } from 'vitest';
import { combineLogprobSampled, listingFromLogprobs, LogprobRun, RadioactivityRun, WindowHashSet, type LogprobItem, type NextTokenListing } from '../src/index.js';
import { randomTokens, testKey, testSpec } from './helpers.js';

const V = 400;

/** The suspect's full distribution after `prev`: 24 candidates (peaked), the rest spread over the vocabulary. */
function suspectDist(prev: number): { ids: Int32Array; probs: Float64Array } {
  const rng = seededRng(`lp-suspect:${prev}`);
  const ids = new Int32Array(24), w = new Float64Array(24), used = new Set<number>();
  let z = 0;
  for (let i = 0; i < 24; i++) {
    let v;
    do v = Math.floor(rng() * V);
    while (used.has(v));
    used.add(v);
    ids[i] = v;
    z += w[i] = Math.exp(3 * rng());
  }
  return { ids, probs: w.map((x) => x / z) };
}

/**
 * An answer of n tokens after `prompt`, sampled from the suspect (tilted by e^δ on the
 * green tokens of `wm` when given: a student of our watermarked model), with the top-k
 * listing of the (tilted) distribution at each position.
 */
function answer(prompt: ArrayLike<number>, n: number, seed: string, k: number, wm?: Watermark, delta = 0): LogprobItem {
  const rng = seededRng(seed);
  const ctx = [...Array.from(prompt)];
  const tokens: number[] = [];
  const listings: NextTokenListing[] = [];
  const w = { hi: 0, lo: 0 };
  for (let i = 0; i < n; i++) {
    const d = suspectDist(ctx[ctx.length - 1]!);
    let probs = d.probs;
    if (wm && delta !== 0 && wm.windowSeed(ctx, ctx.length, w)) {
      const t = Float64Array.from(probs, (p, j) => p * (wm.isGreen(w, d.ids[j]!) ? Math.exp(delta) : 1));
      const z = t.reduce((a, b) => a + b, 0);
      probs = t.map((p) => p / z);
    }
    const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!).slice(0, k);
    listings.push({ ids: order.map((j) => d.ids[j]!), probs: order.map((j) => probs[j]!), restMass: 1 - order.reduce((s, j) => s + probs[j]!, 0) });
    let u = rng(), pick = 0;
    while (pick < probs.length - 1 && (u -= probs[pick]!) > 0) pick++;
    tokens.push(d.ids[pick]!);
    ctx.push(d.ids[pick]!);
  }
  return { id: seed, tokens, listings, given: [Uint32Array.from(prompt)] };
}

function transcript(n: number, len: number, seed: string, k: number, wm?: Watermark, delta = 0): LogprobItem[] {
  return Array.from({ length: n }, (_, i) => answer(randomTokens(8, `${seed}/prompt/${i}`, V), len, `${seed}/${i}`, k, wm, delta));
}

function withKey(spec: WatermarkSpec, key: WatermarkKey): WatermarkSpec {
  return { ...spec, keyFingerprint: key.fingerprint };
}

const SPECS: [string, Parameters<typeof testSpec>[1]][] = [
  ['kgw h=1 left', { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } }],
  ['kgw h=2 self', { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'self' } }],
  ['unigram γ=0.5', { scheme: { name: 'unigram', gamma: 0.5, delta: 2 } }],
  ['gumbel h=1', { scheme: { name: 'gumbel' }, context: { width: 1, mode: 'left' } }],
];

describe('LogprobRun under H0 (a suspect independent of the key), 300 keys', () => {
  for (const [name, input] of SPECS) {
    it(`${name}: the logprob p and its combination with the sampled-token test reject at most at the level`, () => {
      const base = testSpec(testKey(0), input);
      const keys = 300;
      let lp10 = 0, lp05 = 0, comb05 = 0;
      for (let k = 1; k <= keys; k++) {
        const key = testKey(`lp-h0:${k}`);
        const spec = withKey(base, key);
        const items = transcript(6, 60, `h0:${name}:${k}`, 5);
        const run = new LogprobRun({ spec, key });
        const sampled = new RadioactivityRun({ spec, key });
        for (const it of items) {
          run.add(it);
          sampled.add({ id: it.id, tokens: Uint32Array.from(it.tokens), given: it.given! });
        }
        const s = run.summary();
        expect(s.test.observations).toBeGreaterThan(0);
        if (s.test.lnP <= Math.log(0.1)) lp10++;
        if (s.test.lnP <= Math.log(0.05)) lp05++;
        if (combineLogprobSampled(s.test.lnP, sampled.summary().pooled.lnP).lnP <= Math.log(0.05)) comb05++;
      }
      // binomial sd over 300 keys: 1.7% at 10%, 1.3% at 5%; allow 3 sd
      expect(lp10 / keys).toBeLessThanOrEqual(0.1 + 0.052);
      expect(lp05 / keys).toBeLessThanOrEqual(0.05 + 0.038);
      expect(comb05 / keys).toBeLessThanOrEqual(0.05 + 0.038);
    });
  }
});

describe('LogprobRun power (a suspect tilted by e^δ toward our green tokens)', () => {
  const key = testKey('lp-power');
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
  const wm = new Watermark(spec, key);
  const decoys = Array.from({ length: 8 }, (_, i) => testKey(`lp-decoy:${i}`));

  it('top-5 logprobs of 20 answers detect δ = 1 far below the sampled-token test on the same answers; decoys null', () => {
    const items = transcript(20, 60, 'power', 5, wm, 1);
    const run = new LogprobRun({ spec, key, decoyKeys: decoys });
    const sampled = new RadioactivityRun({ spec, key });
    for (const it of items) {
      run.add(it);
      sampled.add({ id: it.id, tokens: Uint32Array.from(it.tokens), given: it.given! });
    }
    const s = run.summary();
    const p = sampled.summary().pooled;
    console.log(`logprob: ${s.test.windows} windows, mean ${s.test.mean.toFixed(3)} (null ${s.test.nullMean}), log10 p ${s.test.log10P.toFixed(1)}; sampled: ${p.scored} tuples, log10 p ${p.log10P.toFixed(1)}`);
    expect(s.test.mean).toBeGreaterThan(0.3);
    expect(s.verdict).toBe('detected');
    expect(s.test.log10P).toBeLessThan(p.log10P - 2);
    expect(s.decoys.significant).toBe(0);
    expect(s.decoys.minLog10P!).toBeGreaterThan(-3);
    const c = combineLogprobSampled(s.test.lnP, p.lnP);
    expect(c.lnP).toBeCloseTo(Math.min(s.test.lnP, p.lnP) + Math.LN2, 12);
  });

  it('the untilted suspect is not detected', () => {
    const run = new LogprobRun({ spec, key, decoyKeys: decoys });
    for (const it of transcript(20, 60, 'power-null', 5)) run.add(it);
    const s = run.summary();
    expect(s.verdict).toBe('not-detected');
    expect(s.test.log10P).toBeGreaterThan(-3);
  });
});

describe('LogprobRun with a window filter', () => {
  const input = { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } } as const;
  /** The windows (real key) of a text of ours: what a supervised filter holds. */
  function filterOf(key: WatermarkKey, spec: WatermarkSpec, seed: string): WindowHashSet {
    const wm = new Watermark(spec, key);
    const f = new WindowHashSet();
    const t = randomTokens(300, seed, V);
    const w = { hi: 0, lo: 0 };
    for (let i = 1; i < t.length; i++) if (wm.windowSeed(t, i, w)) f.add(w.hi >>> 0, w.lo >>> 0);
    return f;
  }

  it('H0 over 300 keys: the filtered test rejects at most at the level', () => {
    let hits = 0;
    for (let k = 1; k <= 300; k++) {
      const key = testKey(`lp-filter-h0:${k}`);
      const spec = testSpec(key, input);
      const run = new LogprobRun({ spec, key, filter: filterOf(key, spec, `f:${k}`) });
      for (const it of transcript(6, 60, `filter-h0:${k}`, 5)) run.add(it);
      const s = run.summary();
      expect(s.accounting.unselected).toBeGreaterThan(0);
      if (s.test.lnP <= Math.log(0.05)) hits++;
    }
    expect(hits / 300).toBeLessThanOrEqual(0.05 + 0.038);
  });

  it('reads only filtered windows, under every key alike', () => {
    const key = testKey('lp-filter');
    const spec = testSpec(key, input);
    const wm = new Watermark(spec, key);
    const filter = filterOf(key, spec, 'f');
    const items = transcript(20, 60, 'filter-power', 5, wm, 1);
    const all = new LogprobRun({ spec, key });
    const run = new LogprobRun({ spec, key, filter, filterName: 'supervised', decoyKeys: [testKey('lp-filter-decoy')] });
    for (const it of items) {
      all.add(it);
      run.add(it);
    }
    const s = run.summary(), a = all.summary();
    expect(s.filter).toEqual({ name: 'supervised', windows: filter.size });
    expect(s.test.windows).toBeLessThanOrEqual(filter.size);
    expect(s.test.windows).toBeLessThan(a.test.windows);
    expect(s.accounting.unselected + s.accounting.excluded + s.accounting.noContext).toBeGreaterThan(a.accounting.excluded + a.accounting.noContext);
    expect(s.verdict).toBe('detected');
    expect(s.decoys.significant).toBe(0);
  });
});

describe('LogprobRun positions', () => {
  const key = testKey('lp-pos');
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
  const flat = (ids: number[]): NextTokenListing => ({ ids, probs: ids.map(() => 1 / ids.length), restMass: 0 });

  it('skips the first position, windows of the given text, unknown tokens and repeated windows', () => {
    const run = new LogprobRun({ spec, key });
    // answer 5 9 5 -1 7 7 after prompt [9, 3]: window 9 (position 2) is the prompt's, so excluded;
    // window 5 occurs at positions 1 and 3 (read once); position 4's window is unknown (−1)
    run.add({ id: 'a', tokens: [5, 9, 5, -1, 7, 7], listings: [1, 2, 3, 4, 5, 6].map((v) => flat([v, v + 10])), given: [[9, 3]] });
    const s = run.summary();
    expect(s.accounting).toEqual({ responses: 1, positions: 6, noContext: 2, excluded: 1, unselected: 0 });
    expect(s.test.windows).toBe(2); // windows 5 (position 1) and 7 (position 5)
    expect(s.test.observations).toBe(2);
  });

  it('Unigram drops listed tokens of the given text into the rest', () => {
    const ukey = testKey('lp-uni');
    const uspec = testSpec(ukey, { scheme: { name: 'unigram', gamma: 0.5, delta: 2 } });
    const run = new LogprobRun({ spec: uspec, key: ukey });
    run.add({ id: 'a', tokens: [1, 2], listings: [flat([4, 5, 6]), flat([5, 8])], given: [[5]] });
    const s = run.summary();
    expect(s.accounting.excluded).toBe(2);
    expect(s.test.observations).toBe(3); // tokens 4, 6, 8
  });

  it('refuses a listing count that is not the token count, payload specs and a decoy equal to the key', () => {
    const run = new LogprobRun({ spec, key });
    expect(() => run.add({ id: 'x', tokens: [1, 2], listings: [null] })).toThrow(/1 listings for 2 tokens/);
    const pay = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 }, payload: { bits: 16, digitBits: 1 } });
    expect(() => new LogprobRun({ spec: pay, key })).toThrow(/payload spec is not supported/);
    expect(() => new LogprobRun({ spec, key, decoyKeys: [key] })).toThrow(/decoy key must differ/);
  });
});

describe('listingFromLogprobs', () => {
  it('keeps known, distinct tokens; the rest is 1 − Σ p; rounded sums above 1 are scaled to 1', () => {
    const l = listingFromLogprobs([3, -1, 3, 8], [Math.log(0.5), Math.log(0.2), Math.log(0.1), Math.log(0.25)]);
    expect([...l.ids]).toEqual([3, 8]);
    expect(l.probs[0]).toBeCloseTo(0.5, 12);
    expect(l.restMass).toBeCloseTo(0.25, 12);
    const over = listingFromLogprobs([1, 2], [Math.log(0.6), Math.log(0.5)]);
    expect(over.restMass).toBe(0);
    expect(over.probs[0]! + over.probs[1]!).toBeCloseTo(1, 12);
  });
});
