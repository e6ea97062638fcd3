import { describe, expect, it } from 'vitest';
import { CandidateSet } from '../src/sampling/candidates.js';
import { LazyRace } from '../src/sampling/lazy-race.js';
import { newResolved, resolveOptions } from '../src/sampling/options.js';
import { weightedDraw, type Draw } from '../src/sampling/race.js';
import { rngU32, uniform53 } from '../src/sampling/random.js';
import { Embedder } from '../src/index.js';
import { gaussianLogits, makeWm, peakedLogits, seededRng } from './sampling-helpers.js';

/** A green list from a hash of the token (any deterministic set will do), counting its calls. */
function greenOf(salt: number): { green: (v: number) => boolean; calls: () => number } {
  let calls = 0;
  return {
    green: (v) => {
      calls++;
      return Math.imul(v ^ salt, 0x9e3779b1) >>> 30 === 0; // a quarter of the tokens
    },
    calls: () => calls,
  };
}

describe('lazy race (lazy-race.ts) = weightedDraw (race.ts), token for token', () => {
  const cases: Array<[string, (V: number, r: () => number) => Float32Array]> = [
    ['gaussian σ=1', (V, r) => gaussianLogits(V, r, 1)],
    ['gaussian σ=4', (V, r) => gaussianLogits(V, r, 4)],
    ['peaked', (V, r) => peakedLogits(V, r)],
  ];
  for (const [name, mk] of cases) {
    it(`${name}: same token as the full race, plain and KGW-biased, dense and sparse, any temperature`, () => {
      const lr = seededRng(`lazy-${name}`);
      const lazy = new LazyRace();
      const out1: Draw = { token: 0, fromRest: false };
      const out2: Draw = { token: 0, fromRest: false };
      let rests = 0;
      let evaluated = 0;
      let draws = 0;
      for (let s = 0; s < 120; s++) {
        const V = 500 + Math.floor(lr() * 20_000);
        const logits = mk(V, lr);
        if (s % 7 === 0) for (let i = 0; i < V; i += 5) logits[i] = -Infinity; // masked tokens
        const T = [1, 0.7, 1.6, 0.2][s % 4]!;
        const o = resolveOptions({ temperature: T }, newResolved());
        const cs = new CandidateSet();
        // ε from 1e-9 to 0.5: large ε makes the rest decision fire often.
        const eps = [1e-9, 1e-3, 0.2, 0.5][(s >> 2) % 4]!;
        if (s % 2 === 0) cs.buildSparse(logits, o, eps);
        else cs.buildDense(logits, o);
        const r = seededRng(s);
        const u = uniform53(r);
        const hi = rngU32(r);
        const lo = rngU32(r);
        for (const eDelta of [1, Math.exp(2), Math.exp(6)]) {
          const g = eDelta === 1 ? null : greenOf(s).green;
          const a = lazy.draw(cs, g, eDelta, u, hi, lo, out1);
          evaluated += lazy.evaluated;
          draws++;
          cs.weigh();
          const b = weightedDraw(cs, g, eDelta, u, hi, lo, r, out2);
          expect(a.token).toBe(b.token);
          expect(a.fromRest).toBe(b.fromRest);
          if (a.fromRest) rests++;
        }
      }
      expect(rests).toBeGreaterThan(0); // the rest path was exercised
      // The point of the lazy race: a small share of the tokens is evaluated.
      expect(evaluated / draws).toBeLessThan(2000);
    });
  }

  it('Gumbel: the lazy race picks argmax ln(r_v)/w_v over the candidates, bit for bit', () => {
    const wm = makeWm({ name: 'gumbel' });
    const lr = seededRng('lazy-gumbel');
    const lazy = new LazyRace();
    const x = { hi: 0, lo: 0 };
    let evaluated = 0;
    let n = 0;
    for (let s = 0; s < 60; s++) {
      const V = 500 + Math.floor(lr() * 20_000);
      const logits = s % 3 === 0 ? peakedLogits(V, lr) : gaussianLogits(V, lr, [1, 3, 6][s % 3]!);
      if (s % 5 === 0) for (let i = 0; i < V; i += 3) logits[i] = -Infinity;
      const o = resolveOptions({ temperature: [1, 0.5, 2][s % 3]! }, newResolved());
      const cs = new CandidateSet();
      if (s % 2 === 0) cs.buildSparse(logits, o, [1e-9, 0.01][s % 4 === 0 ? 0 : 1]!);
      else cs.buildDense(logits, o);
      const seed = { hi: Math.floor(lr() * 2 ** 32), lo: Math.floor(lr() * 2 ** 32) };
      const words = { lo: new Int32Array(cs.n), hi: new Int32Array(cs.n) };
      for (let i = 0; i < cs.n; i++) {
        const r = wm.prf(seed, cs.ids[i]!, x);
        words.lo[i] = r.lo;
        words.hi[i] = r.hi;
      }
      const got = lazy.gumbelWords(cs, words);
      evaluated += lazy.evaluated;
      n += cs.n;
      cs.weigh();
      let best = -Infinity;
      let id = -1;
      for (let i = 0; i < cs.n; i++) {
        const wt = cs.w[i]!;
        if (!(wt > 0)) continue;
        const key = Math.log(wm.uniform(seed, cs.ids[i]!)) / wt;
        if (key > best) {
          best = key;
          id = cs.ids[i]!;
        }
      }
      expect(got).toBe(id);
    }
    expect(evaluated).toBeLessThan(n / 20); // exp and log skipped for most candidates
  });

  it('KGW via the embedder: O(e^δ·log V) PRF calls per untruncated step, not V', () => {
    const V = 100_000;
    const lr = seededRng('lazy-prf');
    const emb = new Embedder(makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }));
    const wm = emb.wm;
    let calls = 0;
    const prf = wm.prf.bind(wm);
    (wm as { prf: typeof wm.prf }).prf = (...args) => {
      calls++;
      return prf(...args);
    };
    const steps = 20;
    for (let s = 0; s < steps; s++) {
      const logits = gaussianLogits(V, lr, s % 2 ? 1 : 3);
      emb.stepSparseFromLogits([s, s + 1], 2, logits, {}, seededRng(s));
    }
    // Context seeding may call the PRF a few times; the race itself ~e^{2.5}·ln V ≈ 140.
    expect(calls / steps).toBeLessThan(2000);
    expect(calls / steps).toBeGreaterThan(1);
  });
});
