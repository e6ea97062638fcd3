/**
 * The open-model radioactivity test: the betting e-process (closed form, Ville's bound by
 * simulation), validity of the green-mass and argmax tests under H0 (a suspect that does
 * not depend on the key, over many keys, every scheme and context mode), power against a
 * suspect that favours the keyed tokens, decoys, refusals.
 */
import { seededRng, Watermark, type WatermarkSpec } from '@tracemark/watermark';
import { describe, expect, it } from 'vitest';
import { BET_FRACTIONS, BoundedMeanEProcess, OpenModelPass, OpenModelRun, uniqueArgmax, type NextTokenListing } from '../src/index.js';
import { randomTokens, testKey, testSpec } from './helpers.js';

const V = 400; // the synthetic suspect's vocabulary: ids 0 … V−1

/** A key-independent suspect: a peaked distribution over 24 tokens that depends on the last token only. */
function nullListing(prev: number, keep = 24): NextTokenListing {
  const rng = seededRng(`suspect:${prev}`);
  const ids = new Int32Array(keep);
  const w = new Float64Array(keep);
  const used = new Set<number>();
  let z = 0;
  for (let i = 0; i < keep; i++) {
    let v;
    do v = Math.floor(rng() * V);
    while (used.has(v));
    used.add(v);
    ids[i] = v;
    z += w[i] = Math.exp(3 * rng());
  }
  const rest = 0.05;
  return { ids, probs: w.map((x) => (x / z) * (1 - rest)), restMass: rest };
}

/** The same suspect tilted toward the keyed tokens of `wm` by a factor e^δ (a student of a watermarked teacher). */
function biasedListing(wm: Watermark, tokens: ArrayLike<number>, end: number, delta: number): NextTokenListing {
  const base = nullListing(tokens[end - 1]!);
  const w = { hi: 0, lo: 0 };
  wm.windowSeed(tokens, end, w);
  const probs = Float64Array.from(base.probs, (p, i) => p * (wm.isGreen(w, base.ids[i]!) ? Math.exp(delta) : 1));
  const z = probs.reduce((a, b) => a + b, 0) / (1 - base.restMass);
  return { ids: base.ids, probs: probs.map((p) => p / z), restMass: base.restMass };
}

function runPass(spec: WatermarkSpec, keySeed: number, tokens: Uint32Array, listing: (end: number) => NextTokenListing) {
  const key = testKey(keySeed);
  const pass = new OpenModelPass({ ...spec, keyFingerprint: key.fingerprint }, key);
  for (let end = 1; end < tokens.length; end++) pass.add(tokens, end, listing(end));
  return pass.test();
}

describe('BoundedMeanEProcess', () => {
  it('is the equal-weight grid mixture of constant bets (closed form after two observations)', () => {
    const e = new BoundedMeanEProcess(0.25);
    e.update(1);
    e.update(0.1, 0.5);
    const want = BET_FRACTIONS.reduce((a, f) => a + (1 + (f / 0.25) * 0.75) * (1 + 0.5 * (f / 0.25) * (0.1 - 0.25)), 0) / BET_FRACTIONS.length;
    expect(e.lnE).toBeCloseTo(Math.log(want), 12);
    expect(e.maxLnE).toBeCloseTo(Math.log(BET_FRACTIONS.reduce((a, f) => a + 1 + (f / 0.25) * 0.75, 0) / BET_FRACTIONS.length), 12);
    expect(e.lnP).toBeCloseTo(-e.maxLnE, 12);
    expect(() => e.update(1.5)).toThrow(/\[0, 1\]/);
    expect(() => new BoundedMeanEProcess(1)).toThrow(/null mean/);
  });

  it("Ville: under H0 the running-maximum p-value is ≤ α with frequency ≤ α (Bernoulli and uniform-mean observations)", () => {
    const rng = seededRng('ville');
    const runs = 2000, n = 300;
    for (const [mu, draw] of [
      [0.25, () => (rng() < 0.25 ? 1 : 0)],
      [0.5, () => rng()],
    ] as const) {
      let hits05 = 0, hits01 = 0;
      for (let r = 0; r < runs; r++) {
        const e = new BoundedMeanEProcess(mu);
        for (let i = 0; i < n; i++) e.update(draw());
        if (e.lnP <= Math.log(0.05)) hits05++;
        if (e.lnP <= Math.log(0.01)) hits01++;
      }
      // binomial sd at α = 0.05 over 2000 runs ≈ 0.005: allow 3 sd
      expect(hits05 / runs).toBeLessThanOrEqual(0.05 + 0.015);
      expect(hits01 / runs).toBeLessThanOrEqual(0.01 + 0.007);
    }
  });
});

describe('uniqueArgmax', () => {
  it('needs the top listed probability above every other listed one', () => {
    expect(uniqueArgmax({ ids: [5, 7, 9], probs: [0.2, 0.5, 0.1], restMass: 0.2 })).toBe(7);
    expect(uniqueArgmax({ ids: [5, 7], probs: [0.4, 0.4], restMass: 0.2 })).toBe(-1);
    expect(uniqueArgmax({ ids: [5, 7], probs: [0.3, 0.2], restMass: 0.5 })).toBe(5); // the rest is not compared
  });
});

const SPECS: [string, Parameters<typeof testSpec>[1]][] = [
  ['kgw h=1 left', { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } }],
  ['kgw h=1 self', { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'self' } }],
  ['kgw h=2 min', { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'min' } }],
  ['kgw h=3 self', { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 3, mode: 'self' } }],
  ['unigram γ=0.5', { scheme: { name: 'unigram', gamma: 0.5, delta: 2 } }],
  ['synthid m=8 h=1', { scheme: { name: 'synthid', layers: 8 }, context: { width: 1, mode: 'left' } }],
  ['gumbel h=1', { scheme: { name: 'gumbel' }, context: { width: 1, mode: 'left' } }],
];

describe('OpenModelPass under H0 (suspect independent of the key)', () => {
  // 300 keys, each its own text of 400 random tokens over the suspect's vocabulary
  for (const [name, input] of SPECS) {
    it(`${name}: green-mass and argmax p-values are U(0,1) or conservative over keys`, () => {
      const spec = testSpec(testKey(0), input);
      const keys = 300;
      let mass10 = 0, argmax10 = 0, combined05 = 0;
      for (let k = 1; k <= keys; k++) {
        const text = randomTokens(400, `h0:${k}`, V);
        const t = runPass(spec, k, text, (end) => nullListing(text[end - 1]!));
        expect(t.windows).toBeGreaterThan(0);
        if (t.greenMass.lnP <= Math.log(0.1)) mass10++;
        if (t.argmax.lnP <= Math.log(0.1)) argmax10++;
        if (t.lnP <= Math.log(0.05)) combined05++;
      }
      // sd of a 10% rate over 300 keys ≈ 1.7%: allow 3 sd
      expect(mass10 / keys).toBeLessThanOrEqual(0.1 + 0.052);
      expect(argmax10 / keys).toBeLessThanOrEqual(0.1 + 0.052);
      expect(combined05 / keys).toBeLessThanOrEqual(0.05 + 0.038);
    });
  }
});

describe('OpenModelPass power (a suspect tilted toward high keyed scores)', () => {
  /** Tilt by e^{δ·s̃}: s̃ the keyed score scaled to [0, 1] (green, g-count/m, uniform r). */
  function tilted(wm: Watermark, tokens: ArrayLike<number>, end: number, delta: number): NextTokenListing {
    const base = nullListing(tokens[end - 1]!);
    const w = { hi: 0, lo: 0 };
    wm.windowSeed(tokens, end, w);
    const sc = wm.spec.scheme;
    const scaled = (v: number): number => (sc.name === 'synthid' ? wm.score(w, v) / sc.layers : sc.name === 'gumbel' ? wm.uniform(w, v) : wm.isGreen(w, v) ? 1 : 0);
    const probs = Float64Array.from(base.probs, (p, i) => p * Math.exp(delta * scaled(base.ids[i]!)));
    const z = probs.reduce((a, b) => a + b, 0) / (1 - base.restMass);
    return { ids: base.ids, probs: probs.map((p) => p / z), restMass: base.restMass };
  }
  for (const [name, input] of SPECS) {
    it(`${name}: detected at log10 p < −6 from 2,000 tokens of text (δ = 2)`, () => {
      const key = testKey(7);
      const spec = testSpec(key, input);
      const wm = new Watermark(spec, key);
      const text = randomTokens(2000, `power:${name}`, V);
      const pass = new OpenModelPass(spec, key);
      for (let end = 1; end < text.length; end++) pass.add(text, end, tilted(wm, text, end, 2));
      const t = pass.test();
      console.log(`${name}: ${t.windows} windows, mass ${t.greenMass.mean.toFixed(3)} (null ${t.greenMass.nullMean.toFixed(3)}) log10 p ${t.greenMass.log10P.toFixed(1)}, argmax ${t.argmax.score}/${t.argmax.scored} log10 p ${t.argmax.log10P.toFixed(1)}`);
      expect(t.greenMass.mean).toBeGreaterThan(t.greenMass.nullMean);
      expect(t.log10P).toBeLessThan(-6);
    });
  }
});

describe('OpenModelRun', () => {
  const key = testKey(42);
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' } });
  const wm = new Watermark(spec, key);
  const decoys = Array.from({ length: 10 }, (_, i) => testKey(`decoy:${i}`));
  const text = randomTokens(3000, 'power', V);

  function run(listing: (end: number) => NextTokenListing) {
    const r = new OpenModelRun({ spec, key, decoyKeys: decoys, alpha: 1e-6 });
    for (let end = 1; end < text.length; end++) if (r.wants(text, end)) r.add(text, end, listing(end));
    return r.summary();
  }

  it('detects a suspect tilted toward green tokens; decoys stay null', () => {
    const s = run((end) => biasedListing(wm, text, end, 1));
    expect(s.positions).toBe(V); // one read per distinct previous token (h = 1): all V of them occur in 3000 tokens
    expect(s.test.windows).toBe(V);
    expect(s.test.greenMass.mean).toBeGreaterThan(0.35);
    expect(s.test.greenMass.log10P).toBeLessThan(-10);
    expect(s.test.argmax.log10P).toBeLessThan(-6);
    expect(s.verdict).toBe('detected');
    expect(s.decoys.k).toBe(10);
    expect(s.decoys.significant).toBe(0);
    expect(s.decoys.minLog10P!).toBeGreaterThan(-3);
  });

  it('does not detect the untilted suspect', () => {
    const s = run((end) => nullListing(text[end - 1]!));
    expect(s.verdict).toBe('not-detected');
    expect(s.test.log10P).toBeGreaterThan(-3);
  });

  it('refuses payload specs and decoys equal to the key', () => {
    const paySpec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 }, payload: { bits: 16, digitBits: 1 } });
    expect(() => new OpenModelRun({ spec: paySpec, key })).toThrow(/payload spec is not supported/);
    expect(() => new OpenModelRun({ spec, key, decoyKeys: [key] })).toThrow(/decoy key must differ/);
  });
});
