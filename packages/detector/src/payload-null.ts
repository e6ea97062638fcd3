/**
 * E[max_c X_c] for the colour counts at one digit position, (X_1..X_r, rest) ~
 * Multinomial(n; γ, …, γ, 1 − rγ), by a normal approximation: what the decoded id's
 * agreement is expected to be on text without the watermark, when the exact pmf
 * (maxmult.ts) is too costly to compute.
 *
 * With a = √(nγ) and U_c iid N(0, 1), the centred counts are distributed (to second order)
 * as a·U_c − b·Ū with b = a·(1 − √(1 − rγ)): that gives Var X_c = nγ(1 − γ) and
 * Cov(X_c, X_d) = −nγ². Ū does not depend on which c is largest in expectation, so
 * E[max_c X_c] ≈ nγ + a·e_r with e_r = E[max of r iid N(0, 1)].
 */
import { normalCdfLog, normalPdfLog } from './stats/index.js';

const expectedMaxStdNormal = new Map<number, number>();

/** e_r = ∫ x·r·φ(x)·Φ(x)^(r−1) dx (e_2 = 1/√π, e_4 ≈ 1.0294), by the trapezoid rule on [−12, 12]. */
export function expectedMaxOfNormals(r: number): number {
  const hit = expectedMaxStdNormal.get(r);
  if (hit !== undefined) return hit;
  const steps = 24_000, lo = -12, h = 24 / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const x = lo + i * h;
    const f = x * r * Math.exp(normalPdfLog(x) + (r - 1) * normalCdfLog(x));
    sum += i === 0 || i === steps ? f / 2 : f;
  }
  const e = sum * h;
  expectedMaxStdNormal.set(r, e);
  return e;
}

export function expectedMaxCount(n: number, r: number, gamma: number): number {
  if (n === 0) return 0;
  return n * gamma + Math.sqrt(n * gamma) * expectedMaxOfNormals(r);
}
