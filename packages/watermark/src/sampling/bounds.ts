/**
 * How far a sparse step can be from the dense (full-vocabulary) step.
 *
 * Notation: R = probability mass of the unlisted tokens under the tempered, truncated
 * model distribution q (an upper bound R̂ in practice). The sparse step is exact in law
 * for KGW/unigram and exactly distortion-free for Gumbel/SynthID whatever R is (the
 * rest is resolved by thinning, embedder.ts); the factors below bound the probability
 * that, with the same rng, the sparse token differs from the dense token.
 *
 *  - plain / KGW / unigram: both paths pick the candidate that wins the exponential race
 *    min_v E_v/w_v (E_v shared, w_v = q_v·e^{δ g_v}); they can differ only if the dense
 *    winner is unlisted, or the sparse step's rest decision (a separate uniform) fires.
 *    Each has probability R_w/W ≤ e^δ·R (the rest's biased share), so ≤ 2·e^δ·R
 *    (δ = 0 for unwatermarked steps). Holds for every key.
 *  - Gumbel: same race with E_v = −ln r_v from the PRF: the dense winner is unlisted with
 *    probability R over keys, the sparse rest decision fires with probability R: ≤ 2R,
 *    averaged over keys (for one key and context the dense winner is deterministic).
 *  - SynthID (m layers): the sparse step plays the tournament on the candidates
 *    (renormalised). Couple the literal tournaments of 2^m draws from q and from the
 *    candidates, replacing unlisted leaves one at a time. A replaced leaf changes the
 *    winner only if the two sub-bracket winners differ after every one of the m matches
 *    on its path; with the layer-l g-values of the three tokens involved fresh fair bits
 *    (over keys) and a shared tie-break coin, a difference survives a match with
 *    probability ≤ 5/8. So E_keys TV ≤ 2^m·R·(5/8)^m = (5/4)^m·R (the worst case over
 *    keys is 2^m·R). The final draw is an exponential race, i.e. a Gumbel-max coupling,
 *    which differs with probability ≤ 2·TV/(1+TV); with the rest decision:
 *        ≤ (1 + 2·(5/4)^m)·R, averaged over keys   (m = 30: ≈ 1617·R).
 * With top-k, or top-p decided exactly, nothing is unlisted: R = 0, bound 0.
 */
import type { Scheme } from '../spec.js';

/** The factor f with P(sparse token ≠ dense token) ≤ f·R for a step of this scheme. */
export function boundFactor(scheme: Scheme, watermarked: boolean): number {
  if (!watermarked) return 2;
  switch (scheme.name) {
    case 'kgw':
    case 'unigram':
      return 2 * Math.exp(scheme.delta);
    case 'gumbel':
      return 2;
    case 'synthid':
      return 1 + 2 * 1.25 ** scheme.layers;
  }
}

/** The largest factor over the steps of a scheme (watermarked or not): what ε is divided by. */
export function maxBoundFactor(scheme: Scheme): number {
  return Math.max(boundFactor(scheme, true), boundFactor(scheme, false));
}
