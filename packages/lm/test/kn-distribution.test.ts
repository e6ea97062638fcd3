import { describe, expect, it } from 'vitest';
import { seededRng, type SamplingOptions } from '@tracemark/watermark';
import { encode, KneserNeyModel, referenceModel } from '@tracemark/lm';

// The embedded reference model (trained on first use, then loaded from the cache).
const model = referenceModel();
// The same model listing every continuation (no head at temperature 1, no short list otherwise).
const full = new KneserNeyModel(model.data, { maxHead: 0, maxListed: 1e9 });
const V = model.vocabSize;

/** P(v | prefix) for every token id, in float64, one token at a time. */
function dense(prefix: number[]): Float64Array {
  const p = new Float64Array(V);
  for (let v = 0; v < V; v++) p[v] = model.prob(prefix, prefix.length, v);
  return p;
}

function tempered(p: Float64Array, T: number): Float64Array {
  const q = p.map((x) => x ** (1 / T));
  const z = q.reduce((a, b) => a + b, 0);
  return q.map((x) => x / z);
}

/** Token ids by (probability desc, id asc); tempering keeps this order. */
function byProbability(p: Float64Array): number[] {
  return Array.from(p.keys()).filter((v) => p[v]! > 0).sort((a, b) => p[b]! - p[a]! || a - b);
}

/** Dense top-k / top-p on the sorted order. */
function denseTruncated(q: Float64Array, order: number[], topK: number, topP: number): Map<number, number> {
  let keep = topK > 0 ? order.slice(0, topK) : order;
  if (topP < 1) {
    const mass = keep.reduce((s, v) => s + q[v]!, 0);
    let cum = 0, j = 0;
    for (; j < keep.length; j++) {
      cum += q[keep[j]!]!;
      if (cum >= topP * mass) break;
    }
    keep = keep.slice(0, j + 1);
  }
  const z = keep.reduce((s, v) => s + q[v]!, 0);
  return new Map(keep.map((v) => [v, q[v]! / z]));
}

const PROMPTS = ['', 'The jury said', 'In the', 'He looked at the old'];
const cases = PROMPTS.map((text) => {
  const prefix = Array.from(encode('o200k_base', text));
  const p = dense(prefix);
  return { text, prefix, p, order: byProbability(p) };
});

describe('KneserNeyModel.distribution', () => {
  it('is a proper distribution over the whole vocabulary', () => {
    for (const { p } of cases) {
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
      expect(p[199998]).toBe(0); // not a token of o200k_base
    }
  });

  it('lists exact probabilities and the exact rest mass, at any temperature, on both paths', () => {
    for (const { text, prefix, p } of cases) {
      for (const T of [1, 0.6, 1.7]) {
        const q = tempered(p, T);
        for (const m of [model, full]) {
          const d = m.distribution(prefix, prefix.length, { temperature: T });
          expect(new Set(d.ids).size, text).toBe(d.ids.length);
          let listed = 0, listedDense = 0, worst = 0;
          d.ids.forEach((id, i) => {
            worst = Math.max(worst, Math.abs(d.probs[i]! - q[id]!) / q[id]!);
            listed += d.probs[i]!;
            listedDense += q[id]!;
          });
          expect(worst).toBeLessThan(1e-9);
          expect(Math.abs(listed + d.restMass - 1)).toBeLessThan(1e-9);
          expect(Math.abs(d.restMass - (1 - listedDense))).toBeLessThan(1e-9);
          expect(d.restMass > 0).toBe(typeof d.sampleRest === 'function');
        }
      }
    }
  });

  it('lists few candidates at temperature 1 (the head path) and all continuations otherwise', () => {
    const prefix = cases[2]!.prefix; // "In the": thousands of continuations
    const head = model.distribution(prefix, prefix.length, {});
    const all = full.distribution(prefix, prefix.length, {});
    expect(head.ids.length).toBeLessThan(3 * model.maxHead + model.topUnigrams);
    expect(all.ids.length).toBeGreaterThan(5000);
    expect(head.restMass).toBeGreaterThan(all.restMass);
  });

  it('applies top-k and top-p exactly as the dense computation does', () => {
    const options: SamplingOptions[] = [
      { topK: 1 },
      { topK: 40 },
      { topP: 0.5 },
      { topK: 100, topP: 0.9 },
      { temperature: 0.8, topP: 0.95 },
      { temperature: 1.5, topK: 5000 },
      { topP: 0.99999 }, // reaches far into the unseen tokens, where probabilities tie
    ];
    for (const { prefix, p, order } of cases.slice(0, 3)) {
      for (const o of options) {
        const want = denseTruncated(tempered(p, o.temperature ?? 1), order, o.topK ?? 0, o.topP ?? 1);
        for (const m of [model, full]) {
          const d = m.distribution(prefix, prefix.length, o);
          // Listed tokens are kept tokens with their exact renormalised probabilities …
          let worst = 0, listed = 0;
          d.ids.forEach((id, i) => {
            worst = Math.max(worst, want.has(id) ? Math.abs(d.probs[i]! - want.get(id)!) / want.get(id)! : Infinity);
            listed += d.probs[i]!;
          });
          expect(worst, JSON.stringify(o)).toBeLessThan(1e-9);
          expect(Math.abs(listed + d.restMass - 1)).toBeLessThan(1e-9);
          if (m === full) expect(d.ids.length, JSON.stringify(o)).toBe(want.size);
          // … and the rest (a long nucleus is short-listed) draws only the other kept tokens.
          if (d.restMass > 0) {
            const rng = seededRng(5);
            const inList = new Set(d.ids);
            let bad = 0;
            for (let i = 0; i < 2000; i++) {
              const t = d.sampleRest!(rng);
              if (inList.has(t) || !want.has(t)) bad++;
            }
            expect(bad).toBe(0);
          } else {
            expect(d.ids.length).toBe(want.size);
          }
        }
      }
    }
  });

  it('samples the rest exactly: never a listed token, frequencies match the model', () => {
    const { prefix, p, order } = cases[2]!;
    for (const [m, T] of [
      [model, 1],
      [full, 1],
      [full, 0.6],
    ] as const) {
      const q = tempered(p, T);
      const d = m.distribution(prefix, prefix.length, { temperature: T });
      const listed = new Set(d.ids);
      const rng = seededRng(`rest-${m.maxHead}-${T}`);
      const N = 100_000;
      const counts = new Map<number, number>();
      let listedDraws = 0;
      for (let i = 0; i < N; i++) {
        const t = d.sampleRest!(rng);
        if (listed.has(t)) listedDraws++;
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      expect(listedDraws).toBe(0);
      expect(counts.has(199998)).toBe(false);
      // χ² over the 100 most likely unlisted tokens plus one bin for all others (df = 100).
      const rest = order.filter((v) => !listed.has(v));
      const restMass = rest.reduce((s, v) => s + q[v]!, 0);
      let chi2 = 0, otherP = 1, otherN = N;
      for (const v of rest.slice(0, 100)) {
        const e = (N * q[v]!) / restMass;
        const o = counts.get(v) ?? 0;
        chi2 += (o - e) ** 2 / e;
        otherP -= q[v]! / restMass;
        otherN -= o;
      }
      chi2 += (otherN - N * otherP) ** 2 / (N * otherP);
      // P(χ²₁₀₀ > 180) ≈ 2e-6.
      expect(chi2).toBeLessThan(180);
    }
  });

  it('handles prefixes with tokens never seen in training', () => {
    const prefix = [199990, 199991];
    expect(model.prob(prefix, 2, 13)).toBeGreaterThan(0);
    const d = model.distribution(prefix, 2, {});
    expect(Math.abs(d.probs.reduce((a, b) => a + b, 0) + d.restMass - 1)).toBeLessThan(1e-9);
  });

  it('rejects bad options with one-line errors', () => {
    const bad: [SamplingOptions, RegExp][] = [
      [{ temperature: 0 }, /temperature must be a finite number > 0/],
      [{ temperature: Number.NaN }, /temperature must be a finite number > 0/],
      [{ temperature: 100 }, /temperature must be between 0\.05 and 20/],
      [{ topK: 2.5 }, /topK must be a non-negative integer/],
      [{ topP: 0 }, /topP must be in \(0, 1\]/],
      [{ topP: 1.5 }, /topP must be in \(0, 1\]/],
    ];
    for (const [o, re] of bad) expect(() => model.distribution([1], 1, o)).toThrow(re);
    expect(() => model.distribution([1, 2], 3, {})).toThrow(/prefixLength must be an integer in 0\.\.2/);
    expect(() => model.prob([], 0, V)).toThrow(/outside the vocabulary/);
  });
});
