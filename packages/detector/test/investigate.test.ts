/**
 * Investigator statistics: e-processes (closed forms, Ville's bound by simulation, early
 * stopping on strong evidence), the pooled pass (global dedup, exclusion, window masks),
 * the radioactivity test with filters, families and decoys, the planner, attribution.
 */
import { Embedder, seededRng, Watermark } from '@tracemark/watermark';
import { describe, expect, it } from 'vitest';
import {
  attributeClone,
  attributeLeaks,
  bernoulliMixtureLnE,
  BernoulliMixture,
  clopperPearson,
  binomialCriticalValue,
  binomialUpperTailLog,
  countPayload,
  estimateFromPilot,
  familyOf,
  GammaMixture,
  gammaMixtureLnE,
  gammaUpperTailLog,
  idLnP,
  digitTailsLog,
  planTest,
  plannedTokens,
  plannedTokensExact,
  PooledPass,
  precisionRecall,
  radioactivityTest,
  Scorer,
  SequentialMonitor,
  windowHashesOf,
  windowSetOf,
  type EvidenceItem,
} from '../src/index.js';
import { embed, randomTokens, testKey, testSpec } from './helpers.js';

const LN_20 = Math.log(20);

/** Watermarked tokens over the shared vocabulary 0..V−1 (random model logits, the real Embedder). */
function embedShared(wm: Watermark, n: number, seed: string, V: number, message?: bigint): Uint32Array {
  const emb = new Embedder(wm, message !== undefined ? { message } : {});
  const rng = seededRng(`shared:${seed}`);
  const ids = Int32Array.from({ length: V }, (_, i) => i);
  const probs = new Float64Array(V);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < V; j++) z += probs[j] = Math.exp((rng() + rng() + rng() - 1.5) * 2);
    for (let j = 0; j < V; j++) probs[j]! /= z;
    out[i] = emb.step(out, i, { ids, probs, restMass: 0 }, rng).token;
  }
  return out;
}

describe('e-processes', () => {
  it('closed forms equal numerical integration of the mixtures', () => {
    const K = 100_000;
    for (const [s, N, g] of [[7, 20, 0.25], [0, 10, 0.25], [40, 60, 0.5], [3, 3, 0.1]] as const) {
      let acc = 0;
      for (let i = 0; i < K; i++) {
        const q = g + ((1 - g) * (i + 0.5)) / K;
        acc += (q / g) ** s * ((1 - q) / (1 - g)) ** (N - s);
      }
      expect(bernoulliMixtureLnE(s, N, g)).toBeCloseTo(Math.log(acc / K), 6);
    }
    for (const [S, n] of [[14.3, 9], [2, 5], [60, 40]] as const) {
      let acc = 0;
      for (let i = 0; i < K; i++) {
        const t = (i + 0.5) / K;
        acc += t ** n * Math.exp((1 - t) * S);
      }
      expect(gammaMixtureLnE(S, n)).toBeCloseTo(Math.log(acc / K), 6);
    }
    expect(bernoulliMixtureLnE(0, 0, 0.25)).toBe(0);
    expect(gammaMixtureLnE(0, 0)).toBe(0);
  });

  it('boundaries agree with the running e-process', () => {
    const b = new BernoulliMixture(0.25).boundary(400, Math.log(1e4));
    const e = new BernoulliMixture(0.25);
    const rng = seededRng('bnd');
    for (let n = 1; n <= 400; n++) {
      e.update(rng() < 0.4 ? 1 : 0);
      expect(e.lnE >= Math.log(1e4)).toBe(e.sum >= b[n]!);
    }
    const gb = GammaMixture.boundary(200, LN_20);
    const ge = new GammaMixture();
    for (let n = 1; n <= 200; n++) {
      ge.update(-Math.log(1 - rng()) * 1.3);
      expect(ge.lnE >= LN_20).toBe(ge.sum >= gb[n]!);
    }
  });

  it('the running maximum is exact although most steps skip the exact evaluation', () => {
    for (const q of [0.25, 0.3]) {
      const e = new BernoulliMixture(0.25);
      const rng = seededRng(`max-${q}`);
      let s = 0, max = 0;
      for (let n = 1; n <= 3000; n++) {
        const x = rng() < q ? 1 : 0;
        s += x;
        e.update(x);
        max = Math.max(max, bernoulliMixtureLnE(s, n, 0.25));
        if (n % 97 === 0) expect(e.maxLnE).toBeCloseTo(max, 10);
      }
      expect(e.maxLnE).toBeCloseTo(max, 10);
      expect(e.lnE).toBeCloseTo(bernoulliMixtureLnE(s, 3000, 0.25), 10);
    }
    const g = new GammaMixture();
    const rng = seededRng('gmax');
    let S = 0, max = 0;
    for (let n = 1; n <= 2000; n++) {
      const x = -Math.log(1 - rng()) * (n < 1000 ? 1 : 1.1);
      S += x;
      g.update(x);
      max = Math.max(max, gammaMixtureLnE(S, n));
    }
    expect(g.maxLnE).toBeCloseTo(max, 9);
  });

  it("Ville's bound: each scheme's null crosses the α-boundary with probability ≤ α (exact for KGW, a one-sided 99.9% bound from 2,000 streams for SynthID and Gumbel); peeking at a fixed-N test does not", () => {
    const alpha = 0.05, streams = 2000, cap = 5000;
    // A simulated alarm rate passes only if its one-sided 99.9% Clopper–Pearson upper limit is ≤ α
    // (the two-sided 99.8% interval's upper end). If the true rate exceeded α, the limit would fall
    // below α with probability ≤ 1e-3 (per scheme), so an e-process that breaks Ville's bound fails
    // this test with probability ≥ 0.999. The limit exceeds α from 71 alarms (3.55%) on; with the
    // true rates at the observed ones (SynthID 30/2000, Gumbel 41/2000 for this seed), another seed
    // would fail it with probability ≈ 1e-10 (SynthID) and ≈ 1e-5 (Gumbel).
    const upper = (k: number): number => clopperPearson(k, streams, 0.998).upper;
    const rng = seededRng('innocent');
    // KGW γ = 0.25: one Bernoulli(γ) per token. Its crossing rate by 5,000 tokens is 3.83%, too
    // close to α for a simulation of this size to bound, so compute it exactly: propagate
    // P(S_n = s, no alarm yet) through the boundary, token by token.
    const kb = new BernoulliMixture(0.25).boundary(cap, -Math.log(alpha));
    let alive = Float64Array.of(1), crossed = 0;
    for (let n = 1; n <= cap; n++) {
      const next = new Float64Array(Math.min(alive.length + 1, kb[n]!));
      for (let s = 0; s < alive.length; s++) {
        const m = alive[s]!;
        if (s < next.length) next[s]! += 0.75 * m;
        else crossed += 0.75 * m;
        if (s + 1 < next.length) next[s + 1]! += 0.25 * m;
        else crossed += 0.25 * m;
      }
      alive = next;
    }
    expect(crossed).toBeGreaterThan(0.01); // the boundary is reachable: the check is not vacuous
    expect(crossed).toBeLessThanOrEqual(alpha);
    // Peeking: the exact fixed-N binomial test after every 50 tokens.
    const checks = Array.from({ length: cap / 50 }, (_, i) => (i + 1) * 50);
    const crit = new Map(checks.map((n) => [n, binomialCriticalValue(n, 0.25, Math.log(alpha))]));
    let eAlarms = 0, peekAlarms = 0;
    for (let r = 0; r < streams; r++) {
      let s = 0, e = false, peek = false;
      for (let n = 1; n <= cap && !(e && peek); n++) {
        if (rng() < 0.25) s++;
        if (!e && s >= kb[n]!) e = true;
        const c = crit.get(n);
        if (!peek && c !== undefined && s >= c) peek = true;
      }
      if (e) eAlarms++;
      if (peek) peekAlarms++;
    }
    // the simulation agrees with the exact rate: a two-sided 99.9% interval, so a correct recursion
    // fails this with probability ≤ 1e-3 over seeds (87/2000 here), a wrong one very likely
    const ci = clopperPearson(eAlarms, streams, 0.999);
    expect(crossed).toBeGreaterThanOrEqual(ci.lower);
    expect(crossed).toBeLessThanOrEqual(ci.upper);
    expect(peekAlarms).toBeGreaterThan(2 * alpha * streams); // optional stopping breaks fixed-N p-values
    // SynthID: 30 g-values per token, each Bernoulli(½).
    const sb = new BernoulliMixture(0.5, 30).boundary(1000, -Math.log(alpha));
    let sAlarms = 0;
    for (let r = 0; r < streams; r++) {
      let s = 0;
      for (let n = 1; n <= 1000; n++) {
        for (let j = 0; j < 30; j++) if (rng() < 0.5) s++;
        if (s >= sb[n]!) {
          sAlarms++;
          break;
        }
      }
    }
    expect(upper(sAlarms)).toBeLessThanOrEqual(alpha);
    // Gumbel: Exp(1) scores.
    const gb = GammaMixture.boundary(2000, -Math.log(alpha));
    let gAlarms = 0;
    for (let r = 0; r < streams; r++) {
      let S = 0;
      for (let n = 1; n <= 2000; n++) {
        S -= Math.log(1 - rng());
        if (S >= gb[n]!) {
          gAlarms++;
          break;
        }
      }
    }
    expect(upper(gAlarms)).toBeLessThanOrEqual(alpha);
    expect(Math.min(sAlarms, gAlarms)).toBeGreaterThan(0); // the simulations do exercise the boundaries
  });

  it('stops far earlier than the fixed-N test planned for a weaker effect, at α = 1e-6', () => {
    const alpha = 1e-6;
    const planned = plannedTokensExact(0.25, 0.3, alpha, 0.9)!.n; // planned for q = 0.30
    const atTruth = plannedTokensExact(0.25, 0.4, alpha, 0.9)!.n; // what an oracle knowing q = 0.40 would plan
    const b = new BernoulliMixture(0.25).boundary(planned, -Math.log(alpha));
    const rng = seededRng('strong');
    const stops: number[] = [];
    for (let r = 0; r < 400; r++) {
      let s = 0, stop = planned + 1;
      for (let n = 1; n <= planned; n++) {
        if (rng() < 0.4) s++;
        if (s >= b[n]!) {
          stop = n;
          break;
        }
      }
      stops.push(stop);
    }
    stops.sort((a, c) => a - c);
    const median = stops[200]!;
    expect(median).toBeLessThan(planned / 4);
    expect(median).toBeLessThan(2 * atTruth);
    expect(stops[Math.floor(0.99 * stops.length)]!).toBeLessThan(planned);
  });
});

describe('pooled pass', () => {
  const key = testKey('pool');
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 } });

  it('scores each tuple once across responses, excludes prompt windows, applies masks', () => {
    const wm = new Watermark(spec, key);
    const a = embed(wm, { n: 300, seed: 1 });
    const pass = new PooledPass(spec, key);
    const s1 = pass.add(a);
    expect(s1.novel).toBe(s1.scoredInText);
    const s2 = pass.add(a);
    expect(s2.novel).toBe(0);
    expect(s2.duplicatesAcross).toBe(s1.novel);
    // single-text result equals the scorer's
    const r = new Scorer(spec, key).score(a);
    expect(pass.scored).toBe(r.scored);
    expect(pass.sum).toBe(r.sum);
    // exclusion: giving the response itself as the prompt excludes every position with a window inside it
    const p2 = new PooledPass(spec, key);
    const st = p2.add(a, [a]);
    expect(st.novel).toBe(0);
    // mask: half the positions
    const mask = new Uint8Array(a.length).map((_, i) => i % 2);
    const p3 = new PooledPass(spec, key);
    const st3 = p3.add(a, undefined, { mask });
    expect(st3.novel + st3.unselected).toBe(st3.scoredInText);
    expect(st3.unselected).toBeGreaterThan(100);
  });
});

function items(seqs: readonly ArrayLike<number>[], prefix: string): EvidenceItem[] {
  return seqs.map((tokens, i) => ({ id: `${prefix}-${i}`, tokens }));
}

describe('radioactivity test', () => {
  const key = testKey('radio');
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2 } });
  const wm = new Watermark(spec, key);
  const decoyKeys = Array.from({ length: 20 }, (_, i) => testKey(`decoy-${i}`));

  it('flags watermarked text, not random text; decoys and control stay null; families partition the tuples', () => {
    const marked = Array.from({ length: 8 }, (_, i) => embed(wm, { n: 200, seed: `m${i}`, vocab: 500 }));
    const innocent = Array.from({ length: 8 }, (_, i) => randomTokens(200, `c${i}`, 500));
    const r = radioactivityTest({ spec, key, suspect: items(marked, 's'), control: items(innocent, 'c'), decoyKeys, families: 4, alpha: 1e-6 });
    expect(r.verdict).toBe('detected');
    expect(r.suspect.pooled.log10P).toBeLessThan(-20);
    expect(r.control!.verdict).toBe('not-detected');
    expect(r.suspect.decoys.significant).toBe(0);
    expect(r.suspect.decoys.minLog10P!).toBeGreaterThan(-4); // 20 decoys: min p < 1e-4 has probability < 0.002
    expect(r.controlsOk).toBe(true);
    const fam = r.suspect.families!;
    expect(fam.tests.reduce((a, t) => a + t.scored, 0)).toBe(r.suspect.pooled.scored);
    expect(fam.fisherLog10P).toBeLessThan(-10);
  });

  it('a window filter from watermarked generations keeps random text null (filter by window, never by pair)', () => {
    const served = Array.from({ length: 30 }, (_, i) => ({ promptTokens: [], tokens: embedShared(wm, 200, `f${i}`, 100) }));
    const filter = windowSetOf(wm, served);
    expect(filter.size).toBeGreaterThan(1000);
    expect(windowHashesOf(wm, served).length).toBe(filter.size);
    // innocent text over the same small vocabulary: many of its windows are in the filter
    const innocent = Array.from({ length: 40 }, (_, i) => randomTokens(300, `n${i}`, 100));
    const r = radioactivityTest({ spec, key, suspect: items(innocent, 'n'), filter, decoyKeys, alpha: 1e-6 });
    expect(r.suspect.accounting.unselected).toBeGreaterThan(0);
    expect(r.suspect.pooled.scored).toBeGreaterThan(2000);
    expect(r.suspect.pooled.log10P).toBeGreaterThan(-3);
    expect(r.suspect.decoys.significant).toBe(0);
    // the served texts themselves, filtered by their own windows, are (of course) strongly marked
    const s = radioactivityTest({ spec, key, suspect: served.slice(0, 5).map((x, i) => ({ id: `x${i}`, tokens: x.tokens })), filter, alpha: 1e-6 });
    expect(s.verdict).toBe('detected');
  });

  it('a control that is watermarked is reported as a failed control', () => {
    const marked = Array.from({ length: 4 }, (_, i) => embed(wm, { n: 200, seed: `q${i}`, vocab: 500 }));
    const r = radioactivityTest({ spec, key, suspect: items(marked, 's'), control: items(marked, 'c'), alpha: 1e-6 });
    expect(r.controlsOk).toBe(false);
    expect(r.warnings.join(' ')).toMatch(/control model is significant/);
  });

  it('decoy uniformity is checked on randomized p-values: exact even with a handful of tuples', () => {
    const many = Array.from({ length: 200 }, (_, i) => testKey(`tiny-decoy-${i}`));
    const tiny = [{ id: 't', tokens: randomTokens(14, 'tiny', 1000) }];
    const r = radioactivityTest({ spec, key, suspect: tiny, decoyKeys: many, alpha: 1e-6 });
    expect(r.suspect.pooled.scored).toBeLessThan(14);
    expect(r.suspect.decoys.ks!.pValue).toBeGreaterThan(1e-3);
    expect(r.suspect.decoys.uniform).toBe(true);
  });

  it('families hash prompt ids deterministically', () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[familyOf(`p-${i}`, 4)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    expect(familyOf('abc', 7)).toBe(familyOf('abc', 7));
  });
});

describe('sequential monitor', () => {
  it('crosses on watermarked responses and not on random ones; dedup is sequential', () => {
    const key = testKey('seq');
    const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 } });
    const wm = new Watermark(spec, key);
    const m = new SequentialMonitor({ spec, key, alpha: 1e-6, maxResponses: 50 });
    let st = m.state();
    for (let i = 0; i < 50 && st.stop === null; i++) st = m.add({ tokens: embed(wm, { n: 100, seed: `w${i}` }) });
    expect(st.stop).toBe('evidence');
    expect(st.responses).toBeLessThan(20);
    expect(st.log10P).toBeLessThanOrEqual(-6);
    const n = new SequentialMonitor({ spec, key, alpha: 1e-6, maxResponses: 30 });
    const same = randomTokens(100, 'same');
    for (let i = 0; i < 30; i++) st = n.add({ tokens: i % 2 ? same : randomTokens(100, `r${i}`) });
    expect(st.stop).toBe('max-responses');
    expect(st.log10P).toBeGreaterThan(-3);
    // the repeated response added its tuples once only
    const once = new SequentialMonitor({ spec, key, alpha: 1e-6 });
    const a = once.add({ tokens: same }).scored;
    expect(once.add({ tokens: same }).scored).toBe(a);
  });

  it('refuses payload specs', () => {
    const key = testKey('seqp');
    const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, payload: { bits: 16, digitBits: 2 } });
    expect(() => new SequentialMonitor({ spec, key, alpha: 1e-6 })).toThrow(/zero-bit/);
  });
});

describe('planner', () => {
  it('binomial plans equal the exact and normal searches; queries divide by tokens per response', () => {
    const p = planTest({ nullModel: { kind: 'binomial', p: 0.25, trialsPerToken: 1 }, q: 0.3, alpha: 1e-6, power: 0.9, tokensPerResponse: 40 });
    const ex = plannedTokensExact(0.25, 0.3, 1e-6, 0.9)!;
    expect(p.tokens.exact).toBe(ex.n);
    expect(p.tokens.normal).toBe(plannedTokens(0.25, 0.3, 1e-6, 0.9));
    expect(p.queries!.exact).toBe(Math.ceil(ex.n / 40));
    // the exact critical value really gives level α and the stated power
    expect(binomialUpperTailLog(p.tokens.critical!, ex.n, 0.25)).toBeLessThanOrEqual(Math.log(1e-6));
    expect(p.tokens.attainedPower!).toBeGreaterThanOrEqual(0.9);
    const s = planTest({ nullModel: { kind: 'binomial', p: 0.5, trialsPerToken: 30 }, q: 0.52, alpha: 1e-6, power: 0.9 });
    expect(s.tokens.exact).toBe(Math.ceil(plannedTokensExact(0.5, 0.52, 1e-6, 0.9, 1e9)!.n / 30));
    expect(() => planTest({ nullModel: { kind: 'binomial', p: 0.25, trialsPerToken: 1 }, q: 0.2, alpha: 1e-6, power: 0.9 })).toThrow(/exceed/);
  });

  it('gamma plans: exact size and power at N, not at N − 1', () => {
    const mean = 1.1;
    const p = planTest({ nullModel: { kind: 'gamma' }, mean, alpha: 1e-6, power: 0.9 });
    const n = p.tokens.exact!;
    expect(gammaUpperTailLog(n, p.tokens.critical!)).toBeLessThanOrEqual(Math.log(1e-6) + 1e-9);
    expect(Math.exp(gammaUpperTailLog(n, p.tokens.critical! / mean))).toBeGreaterThanOrEqual(0.9);
    const before = planTest({ nullModel: { kind: 'gamma' }, mean, alpha: 1e-6, power: 0.9, maxTokens: n - 1 });
    expect(before.tokens.exact).toBeNull();
    expect(Math.abs(p.tokens.normal - n) / n).toBeLessThan(0.1);
  });

  it('pilot estimates: rate, lower bound, tokens per response from the second half', () => {
    const e = estimateFromPilot({ kind: 'binomial', p: 0.25, trialsPerToken: 1 }, { scored: 1000, sum: 300, novelPerResponse: [100, 90, 50, 40] });
    expect(e.q).toBe(0.3);
    expect(e.qLower!).toBeLessThan(0.3);
    expect(e.qLower!).toBeGreaterThan(0.27);
    expect(e.tokensPerResponse).toBe(45);
  });
});

describe('attribution', () => {
  const key = testKey('attr');
  const spec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 3 }, payload: { bits: 16, digitBits: 2 } });
  const wm = new Watermark(spec, key);
  const scorer = new Scorer(spec, key);
  const countsOf = (toks: Uint32Array) => {
    const r = scorer.score(toks, { payload: true });
    return countPayload(wm, r.payloadPos!, r.payloadColour!);
  };

  it('leaked texts: names the carried id, never a neighbour sharing most digits, nothing for unmarked text', () => {
    const ids = [5n, 9n, 300n];
    const texts = [
      ...ids.map((id, i) => ({ id: `leak-${i}`, counts: countsOf(embed(wm, { n: 1500, seed: `leak${i}`, message: id })) })),
      ...[0, 1, 2].map((i) => ({ id: `human-${i}`, counts: countsOf(randomTokens(1500, `h${i}`)) })),
    ];
    // candidates: ids 0..999 as accounts
    const candidates = Array.from({ length: 1000 }, (_, i) => ({ account: `acct-${i}`, id: i }));
    const r = attributeLeaks(wm, texts, { candidates, alpha: 1e-3 });
    expect(r.method).toBe('holm');
    expect(r.hypotheses).toBe(6000);
    expect(r.named.map((x) => x.account).sort()).toEqual(['acct-300', 'acct-5', 'acct-9']);
    expect(precisionRecall(r.named.map((x) => x.account!), ['acct-5', 'acct-9', 'acct-300'])).toMatchObject({ precision: 1, recall: 1 });
    // 5 = digits [1,1,0,…]; 4 = [0,1,0,…] shares all digits but one: its intersection–union p is not small
    const t5 = digitTailsLog(wm, texts[0]!.counts);
    expect(idLnP(t5, 4, [1, 1, 0, 0, 0, 0, 0, 0])).toBeLessThan(Math.log(1e-8));
    expect(idLnP(t5, 4, [0, 1, 0, 0, 0, 0, 0, 0])).toBeGreaterThan(Math.log(0.01));
    // without a candidate list: decoded ids over all 2^16, Bonferroni
    const all = attributeLeaks(wm, texts, { alpha: 1e-3 });
    expect(all.method).toBe('bonferroni');
    expect(all.named.map((x) => x.id).sort()).toEqual(['300', '5', '9']);
    for (const t of all.texts.slice(3)) expect(t.named).toBe(false);
  });

  it('named: none says why: the weakest digit, and about how many more tuples would name the id', () => {
    const candidates = Array.from({ length: 1000 }, (_, i) => ({ account: `acct-${i}`, id: i }));
    const short = attributeLeaks(wm, [{ id: 'short', counts: countsOf(embed(wm, { n: 120, seed: 'short-leak', message: 300n })) }], { candidates, alpha: 1e-3 });
    const t = short.texts[0]!;
    expect(t.named).toBe(false);
    const w = t.weakest!;
    expect(w.lnP).toBe(Math.max(...digitTailsLog(wm, countsOf(embed(wm, { n: 120, seed: 'short-leak', message: 300n }))).filter((_, i) => i % 4 === Number((BigInt(t.best!.id) >> BigInt(2 * Math.floor(i / 4))) & 3n))));
    expect(w.moreTuples).toBeGreaterThan(0);
    // the prediction holds: a text of the same id with twice the predicted tuples is named
    const need = t.scored + w.moreTuples!;
    const long = attributeLeaks(wm, [{ id: 'long', counts: countsOf(embed(wm, { n: Math.ceil((2 * need * 120) / t.scored), seed: 'long-leak', message: 300n })) }], { candidates, alpha: 1e-3 });
    expect(long.texts[0]!.named).toBe(true);
    expect(long.texts[0]!.weakest!.moreTuples).toBe(0);
    // unmarked text: some digit agrees no more than chance, so no amount of such text names anyone
    const human = attributeLeaks(wm, [{ id: 'human', counts: countsOf(randomTokens(1500, 'why-h')) }], { candidates, alpha: 1e-3 });
    expect(human.texts[0]!.weakest!.moreTuples).toBeNull();
  });

  it('clone outputs: the account whose exclusive windows carry the signal is named, others are not', () => {
    const zspec = testSpec(key, { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2 } });
    const zwm = new Watermark(zspec, key);
    // Each account was served its own texts (small vocabulary, so windows are shared too).
    const served = (a: number) => Array.from({ length: 3 }, (_, i) => ({ promptTokens: [], tokens: embedShared(zwm, 300, `acct${a}-${i}`, 150) }));
    const accounts = Array.from({ length: 30 }, (_, a) => ({ account: `acct-${a}`, windows: windowHashesOf(zwm, served(a)) }));
    // The "clone" reproduces account 7's and 19's responses (a memorising student), plus random text.
    const clone: EvidenceItem[] = [
      ...served(7).map((s, i) => ({ id: `c7-${i}`, tokens: s.tokens })),
      ...served(19).map((s, i) => ({ id: `c19-${i}`, tokens: s.tokens })),
      ...Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, tokens: randomTokens(300, `cl${i}`, 150) })),
    ];
    const r = attributeClone({ spec: zspec, key, items: clone, accounts, alpha: 1e-3 });
    expect(r.named.sort()).toEqual(['acct-19', 'acct-7']);
    const innocent = r.accounts.filter((x) => !['acct-7', 'acct-19'].includes(x.account));
    for (const x of innocent) expect(x.lnP).toBeGreaterThan(Math.log(1e-4));
    expect(innocent.some((x) => x.scored > 20)).toBe(true); // innocents did get tested on some exclusive windows
  });
});
