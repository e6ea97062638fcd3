import { describe, expect, it } from 'vitest';
import { Embedder, digitsToMessage, messageDigits } from '../src/index.js';
import { binomUpper, gaussianLogits, makeWm, seededRng } from './sampling-helpers.js';

describe('multi-bit payload (account id)', () => {
  const spec = { payload: { bits: 20, digitBits: 2 } } as const;
  const wm = makeWm({ name: 'kgw', gamma: 0.25, delta: 2 }, spec);
  const message = 0xbeef5n;
  const digits = messageDigits(message, 20, 2);

  it('generated tokens land in the coloured list of their digit far more often than 1/2^digitBits, and the id decodes', () => {
    const emb = new Embedder(wm, { message });
    const rng = seededRng('payload');
    const seed = { hi: 0, lo: 0 };
    const N = 3000;
    // votes[position][colour]
    const votes = Array.from({ length: wm.payloadDigits }, () => new Float64Array(wm.payloadColours));
    let match = 0;
    const tokens = [Math.floor(rng() * 50_000)];
    for (let i = 0; i < N; i++) {
      const logits = gaussianLogits(2000, rng, 1.5);
      const r = emb.stepSparseFromLogits(tokens, tokens.length, logits, {}, rng);
      wm.windowSeed(tokens, tokens.length, seed);
      const pos = wm.payloadPosition(seed, r.token);
      const colour = wm.payloadColour(seed, r.token);
      if (colour === digits[pos]) match++;
      if (colour >= 0) votes[pos]![colour]!++;
      tokens.push(r.token);
    }
    // Without the watermark a token matches its position's digit with probability γ_eff.
    expect(match / N).toBeGreaterThan(0.5);
    expect(binomUpper(N, match, wm.gammaEff)).toBeLessThan(1e-30);
    const decoded = votes.map((v) => v.indexOf(Math.max(...v)));
    expect(digitsToMessage(decoded, 2)).toBe(message);
  });

  it('a different message biases different lists', () => {
    const a = new Embedder(wm, { message });
    const b = new Embedder(wm, { message: message ^ 0xfffffn });
    const logits = gaussianLogits(500, seededRng('pl'), 1);
    const la = a.distribution([11], 1, logits);
    const lb = b.distribution([11], 1, logits);
    let diff = 0;
    for (let v = 0; v < 500; v++) diff += Math.abs(la[v]! - lb[v]!);
    expect(diff).toBeGreaterThan(0.2);
  });

  it('the embedder’s green set is {v : colour(v) = digit[position(v)]}', () => {
    const emb = new Embedder(wm, { message });
    const logits = new Float32Array(400); // uniform q: the law is ∝ e^{δ·green}
    const law = emb.distribution([77], 1, logits);
    const seed = { hi: 0, lo: 0 };
    wm.windowSeed([77], 1, seed);
    const hi = Math.max(...law);
    for (let v = 0; v < 400; v++) {
      const green = wm.payloadColour(seed, v) === digits[wm.payloadPosition(seed, v)];
      expect(law[v]).toBeCloseTo(green ? hi : hi / Math.exp(2), 14);
    }
  });

  it('accepts a number message and rejects a non-integer', () => {
    expect(() => new Embedder(wm, { message: 12345 })).not.toThrow();
    expect(() => new Embedder(wm, { message: 1.5 })).toThrow(/integer/);
  });
});
