/**
 * SynthID-style tournament sampling, vectorised (Dathathri et al., Nature 2024).
 *
 * The literal tournament draws 2^m tokens i.i.d. from p and plays m rounds of pairwise
 * matches; in round l the token with the larger g-value g_l wins, ties uniformly at
 * random. The winner's law is computed exactly, one layer at a time:
 *     p_v ← p_v · (1 + g_l(v) − G_l),   G_l = Σ_w p_w g_l(w)
 * (a g=1 token wins a match against a random opponent with probability 2 − G_l relative
 * to its share, a g=0 token 1 − G_l). Σ p stays 1. Averaged over keys E[g_l(v)] = 1/2
 * independently for every token, so E[p_v after a layer] = p_v: distortion-free.
 */

/** Bit l of the 64-bit PRF output (lo, hi): g-value of layer l, as `gBit` in prf.ts. */
export function layerBit(lo: number, hi: number, l: number): number {
  return l < 32 ? (lo >>> l) & 1 : (hi >>> (l - 32)) & 1;
}

/** The two layer factors, indexed by the g-bit: a load instead of a mispredicted branch. */
const F = new Float64Array(2);

/**
 * In place: p[0..n) (a distribution) becomes the tournament winner's distribution for
 * g-values given by gLo/gHi (the PRF outputs of the n tokens) over `layers` layers.
 * Layer l's bit is read as layerBit does (word l < 32 ? gLo : gHi, shift l mod 32) and
 * the factor picked from F by it: the same products and sums, in the same order, as the
 * branchy form, 2–3× faster on random bits.
 */
export function tournament(p: Float64Array, n: number, gLo: Int32Array, gHi: Int32Array, layers: number): void {
  let G = 0;
  for (let i = 0; i < n; i++) G += p[i]! * (gLo[i]! & 1);
  for (let l = 0; l < layers; l++) {
    F[1] = 2 - G;
    // Rounding can push G a hair above 1; a g=0 token can then never win, not win "negatively".
    F[0] = G < 1 ? 1 - G : 0;
    let next = 0;
    const nl = l + 1;
    const g = l < 32 ? gLo : gHi;
    const sh = l & 31;
    if (nl < layers) {
      const gN = nl < 32 ? gLo : gHi;
      const shN = nl & 31;
      for (let i = 0; i < n; i++) {
        const q = p[i]! * F[(g[i]! >>> sh) & 1]!;
        p[i] = q;
        next += q * ((gN[i]! >>> shN) & 1);
      }
    } else {
      for (let i = 0; i < n; i++) p[i] = p[i]! * F[(g[i]! >>> sh) & 1]!;
    }
    G = next;
  }
}
