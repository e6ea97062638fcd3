/**
 * The account of §4d for the goal ρ = 1 %: from the measured effect sizes, how many distinct
 * windows (open-model) or scored tuples / windows (closed-model) a test would need at ρ = 0.01 to
 * reach p ≤ 1e-9, against what the experiment had and what 10⁴ queries would give.
 *
 * Effect size per scored unit: z / √n, with z the normal quantile of the test's p (planning
 * only — the tests themselves are exact) and n its windows or tuples; for a count test this is
 * (share − γ) / σ. The effect at ρ = 0.01 is extrapolated linearly from the smallest ρ some seed
 * of which was detected at α = 1e-6 (the median over all its seeds, so an undetected seed pulls
 * it down): an assumption, stated beside the effects at every detected ρ so the reader can see
 * how well it holds.
 */
import type { NeuralResults, NeuralStudent } from './results-doc.js';
import { summaryRows } from './summary.js';
import { n } from '../doc-format.js';

const GOAL = 0.01;
/** o200k_base's ordinary ids: with h = 1 a window is the previous token, so no text set has more distinct windows. */
const WINDOWS_H1 = 199_998;
/** One-sided normal quantile of 1e-9. */
const Z9 = 5.998;

/** z of a one-sided p from its log10 (inverse of the normal tail, by bisection). */
export function zOfLog10P(log10P: number): number {
  if (!(log10P < 0)) return 0;
  // ln Q(z) ≈ −z²/2 − ln(z √(2π)) for z ≥ 1 (Mills); good to a few % in z at the sizes used for planning
  const lnQ = (z: number): number => -z * z / 2 - Math.log(z * Math.sqrt(2 * Math.PI));
  const target = log10P * Math.LN10;
  if (target > lnQ(1)) return Math.max(0, Math.sqrt(-2 * target));
  let lo = 1, hi = 200;
  for (let i = 0; i < 100; i++) { const mid = (lo + hi) / 2; if (lnQ(mid) > target) lo = mid; else hi = mid; }
  return (lo + hi) / 2;
}

interface Unit { units: number; queries: number }

/** The units a row's result counted (windows or tuples) and the queries behind them (null: open-model, no queries). */
function unitsOf(s: NeuralStudent, test: string, filter: string, queries: number | null): Unit | undefined {
  if (test === 'open-model') {
    const c = s.open.find((x) => x.variant === filter);
    return c && { units: c.windows, queries: 0 };
  }
  const c = s.closed.find((x) => x.queries === queries && x.variant === filter);
  if (!c) return undefined;
  if (test === 'closed logprob') return c.logprob ? { units: c.logprob.windows, queries: c.queries } : undefined;
  return { units: c.scored, queries: c.queries };
}

const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

export function renderShortfall(r: NeuralResults): string[] {
  const wm = r.students.filter((s) => s.teacher === 'watermarked' && s.rho > 0);
  const rhos = [...new Set(wm.map((s) => s.rho))].sort((a, b) => a - b);
  // each (test, filter) once: open-model, and closed-model at the most queries its reference cells all ran
  const rows = summaryRows(r).sort((a, b) => (b.queries ?? 0) - (a.queries ?? 0));
  const done = new Set<string>();
  const ceilings: string[] = [];
  const L = [
    `**What ρ = ${GOAL} would take** (effect per scored unit e = z / √n from each test's p and its n windows or tuples, median over the seeds of a cell, detected or not; extrapolated linearly in ρ from the smallest ρ detected at α = 1e-6 in some seed; units needed for p ≤ 1e-9: (${Z9.toFixed(2)} / e)²; closed-model rows at the most queries (q) run on every seed of the reference ρ, units per query as measured there)`,
    '',
    '| test | filter (q) | e at each ρ (in brackets: no seed detected) | from ρ | e at ρ = 0.01 | units needed | units had at ρ = 0.01 (log10 p) | queries needed |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    // e at every ρ whose seeds all have this result; `detected`: some seed at α = 1e-6
    const effect = new Map<number, { e: number; detected: boolean }>();
    for (const rho of rhos) {
      const cells = wm.filter((s) => s.rho === rho);
      const ps = cells.map(row.pick);
      if (!ps.every((p) => p !== undefined)) continue;
      const es = cells.map((s) => zOfLog10P(row.pick(s)!) / Math.sqrt(unitsOf(s, row.test, row.filter, row.queries)!.units));
      effect.set(rho, { e: median(es), detected: ps.some((p) => p! <= -6) });
    }
    const detected = [...effect].filter(([, x]) => x.detected).map(([rho]) => rho);
    if (detected.length === 0 || done.has(`${row.test}/${row.filter}`)) continue;
    done.add(`${row.test}/${row.filter}`);
    const from = Math.min(...detected);
    const e = (effect.get(from)!.e * GOAL) / from;
    const need = Math.ceil((Z9 / e) ** 2);
    const at = wm.filter((s) => s.rho === GOAL).map((s) => ({ u: unitsOf(s, row.test, row.filter, row.queries), p: row.pick(s) }));
    const had = at.length && at.every((x) => x.u && x.p !== undefined) ? at.map((x) => `${n(x.u!.units)} (${x.p!.toFixed(1)})`).join(', ') : '—';
    const perQuery = median(wm.filter((s) => s.rho === from).map((s) => unitsOf(s, row.test, row.filter, row.queries)!).map((u) => u.units / Math.max(u.queries, 1)));
    const queries = row.test === 'open-model' ? '—' : n(Math.ceil(need / perQuery));
    if (row.test !== 'closed sampled') ceilings.push(`${row.test} ${row.filter} ρ ≈ ${(from * (Z9 / Math.sqrt(WINDOWS_H1)) / effect.get(from)!.e).toFixed(3)}`);
    L.push(`| ${row.test} | ${row.filter}${row.queries === null ? '' : ` (${row.queries})`} | ${[...effect].map(([rho, x]) => `${rho}: ${x.detected ? x.e.toFixed(3) : `(${x.e.toFixed(3)})`}`).join('; ')} | ${from} | ${e.toFixed(4)} | ${n(need)} | ${had} | ${queries} |`);
  }
  if (ceilings.length) {
    L.push('', `With h = 1 a window is the previous token, so no set of texts holds more than the ${n(WINDOWS_H1)} distinct windows of o200k_base's vocabulary: the tests that count distinct windows (open-model, logprob) reach 1e-9 only where e ≥ ${Z9.toFixed(2)} / √${n(WINDOWS_H1)} = ${(Z9 / Math.sqrt(WINDOWS_H1)).toFixed(4)}, i.e. (linearly) down to ${ceilings.join(', ')} with every window of the vocabulary read — and a supervised test has only the windows of the texts the cloner took. The sampled-token test counts distinct (window, token) tuples, which more queries keep adding, at the rates above.`);
  }
  return L;
}
