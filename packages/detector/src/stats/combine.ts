/**
 * Combining and correcting p-values, all on natural-log p-values so that
 * evidence far below 1e−308 (ln p = −10⁶) is neither clipped nor lost.
 */
import { gammaUpperTailLog } from './gamma.js';

/** Neumaier (improved Kahan) summation: −Σ ln pᵢ can mix 10⁶ and 10⁻³ terms. */
function neumaierSum(xs: readonly number[]): number {
  let sum = 0;
  let comp = 0;
  for (const x of xs) {
    const t = sum + x;
    comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + comp;
}

function checkLnP(name: string, lnP: number): void {
  if (Number.isNaN(lnP) || lnP > 0) throw new RangeError(`${name}: ln p values must be ≤ 0, got ${lnP}`);
}

/**
 * Fisher's method on independent p-values given as ln pᵢ. Under H₀,
 * −2 Σ ln pᵢ ~ χ²₂ₖ, and the χ²₂ₖ survival function at 2X is Q(k, X), so the
 * combined p-value is Q(k, −Σ ln pᵢ) (exact for integer k, no χ² table or
 * normal approximation). Returns the combined ln p. An empty list gives 0.
 */
export function fisherCombineLog(lnPs: readonly number[]): number {
  if (lnPs.length === 0) return 0;
  for (const v of lnPs) checkLnP('fisherCombineLog', v);
  if (lnPs.some((v) => v === -Infinity)) return -Infinity;
  const x = -neumaierSum(lnPs);
  return gammaUpperTailLog(lnPs.length, Math.max(0, x));
}

/** Bonferroni: ln min(1, m·p) = min(0, ln p + ln m) for m tests. */
export function bonferroniLog(lnP: number, m: number): number {
  checkLnP('bonferroniLog', lnP);
  if (!(m >= 1)) throw new RangeError(`bonferroniLog: m must be ≥ 1, got ${m}`);
  return Math.min(0, lnP + Math.log(m));
}

/**
 * Holm's step-down adjusted p-values (Holm 1979), in log space. With the
 * p-values sorted ascending p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted value is
 * p̃₍ᵢ₎ = maxⱼ≤ᵢ min(1, (m − j + 1)·p₍ⱼ₎), which is monotone in i. Results are
 * returned in the input order; rejecting every hypothesis with ln p̃ ≤ ln α
 * controls the family-wise error rate at α.
 */
export function holmAdjustLog(lnPs: readonly number[]): number[] {
  const m = lnPs.length;
  for (const v of lnPs) checkLnP('holmAdjustLog', v);
  const order = lnPs.map((_, i) => i).sort((i, j) => lnPs[i]! - lnPs[j]! || i - j);
  const out = new Array<number>(m);
  let running = -Infinity;
  for (let r = 0; r < m; r++) {
    const idx = order[r]!;
    const adj = Math.min(0, lnPs[idx]! + Math.log(m - r));
    running = Math.max(running, adj);
    out[idx] = running;
  }
  return out;
}
