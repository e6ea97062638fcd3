import { describe, expect, it } from 'vitest';
import { layerBit, tournament } from '../src/sampling/tournament.js';
import { seededRng } from './sampling-helpers.js';

/** The layer-by-layer law written the plain way (the form tournament() had before it was made branch-free). */
function reference(p: Float64Array, n: number, gLo: Int32Array, gHi: Int32Array, layers: number): void {
  let G = 0;
  for (let i = 0; i < n; i++) G += p[i]! * (gLo[i]! & 1);
  for (let l = 0; l < layers; l++) {
    const f1 = 2 - G;
    const f0 = G < 1 ? 1 - G : 0;
    let next = 0;
    for (let i = 0; i < n; i++) {
      const q = p[i]! * (layerBit(gLo[i]!, gHi[i]!, l) === 1 ? f1 : f0);
      p[i] = q;
      if (l + 1 < layers) next += q * layerBit(gLo[i]!, gHi[i]!, l + 1);
    }
    G = next;
  }
}

describe('SynthID tournament law', () => {
  it('equals the plain layer-by-layer computation bit for bit (1–64 layers, skewed p)', () => {
    const r = seededRng('tournament');
    for (const layers of [1, 2, 16, 30, 31, 32, 33, 40, 64]) {
      for (const n of [1, 2, 7, 1000]) {
        const p = new Float64Array(n);
        let s = 0;
        for (let i = 0; i < n; i++) s += p[i] = r() ** 8;
        for (let i = 0; i < n; i++) p[i]! /= s;
        const lo = Int32Array.from({ length: n }, () => (r() * 2 ** 32) | 0);
        const hi = Int32Array.from({ length: n }, () => (r() * 2 ** 32) | 0);
        const a = p.slice();
        const b = p.slice();
        tournament(a, n, lo, hi, layers);
        reference(b, n, lo, hi, layers);
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(Math.abs(a.reduce((x, y) => x + y, 0) - 1)).toBeLessThan(1e-9);
      }
    }
  });

  it('two tokens: a g=1 token beats a g=0 token in every layer (closed form)', () => {
    // p = (½, ½), token 0 has every bit 1, token 1 none: token 1 wins only if all 2^m
    // leaves of the literal tournament are token 1, probability 2^-(2^m).
    for (const layers of [1, 2, 3, 5]) {
      const p = Float64Array.of(0.5, 0.5);
      tournament(p, 2, Int32Array.of(-1, 0), Int32Array.of(-1, 0), layers);
      expect(p[1]).toBe(0.5 ** 2 ** layers);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 15);
    }
  });
});
