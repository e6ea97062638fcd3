/**
 * The summary of §4d (neural students): for each test (open-model, closed-model sampled-token,
 * closed-model logprob) × filter × query count, log10 p against ρ as min … max over the seeds of
 * each cell, the controls beside, the decoys of the row and the frontier (the smallest ρ every
 * seed of which is detected at p ≤ 1e-9 in that row).
 */
import type { NeuralResults, NeuralStudent } from './results-doc.js';
import { f1 } from '../doc-format.js';

export type Pick = (s: NeuralStudent) => number | undefined;
type DecoyPick = (s: NeuralStudent) => { min: number | null; significant: number } | undefined;

export interface SummaryRow {
  test: string;
  filter: string;
  queries: number | null;
  pick: Pick;
  decoys: DecoyPick;
}


/** Every (test, filter, queries) that some student has a result for, open-model first. */
export function summaryRows(r: NeuralResults): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const v of ['supervised', 'unsupervised'] as const) {
    const open = (s: NeuralStudent) => s.open.find((c) => c.variant === v);
    rows.push({ test: 'open-model', filter: v, queries: null, pick: (s) => open(s)?.log10P, decoys: (s) => { const c = open(s); return c && { min: c.decoysMinLog10P, significant: c.decoysSignificant }; } });
  }
  const queries = [...new Set(r.students.flatMap((s) => s.closed.map((c) => c.queries)))].sort((a, b) => a - b);
  const variants = ['unfiltered', 'supervised', 'unsupervised'].filter((v) => r.students.some((s) => s.closed.some((c) => c.variant === v)));
  for (const test of ['sampled', 'logprob'] as const) {
    for (const q of queries) {
      for (const v of variants) {
        const closed = (s: NeuralStudent) => s.closed.find((c) => c.queries === q && c.variant === v);
        if (test === 'sampled') {
          rows.push({ test: 'closed sampled', filter: v, queries: q, pick: (s) => closed(s)?.log10P, decoys: (s) => { const c = closed(s); return c && { min: c.decoysMinLog10P, significant: c.decoysSignificant }; } });
        } else {
          rows.push({ test: 'closed logprob', filter: v, queries: q, pick: (s) => closed(s)?.logprob?.log10P, decoys: (s) => { const l = closed(s)?.logprob; return l ? { min: l.decoysMinLog10P, significant: l.decoysSignificant } : undefined; } });
        }
      }
    }
  }
  return rows.filter((row) => r.students.some((s) => row.pick(s) !== undefined));
}

/** The cells as columns: watermarked ρ from largest to 0 (human only), then the unwatermarked-teacher control. */
export function summaryColumns(r: NeuralResults): { label: string; students: NeuralStudent[] }[] {
  const wm = [...new Set(r.students.filter((s) => s.teacher === 'watermarked').map((s) => s.rho))].sort((a, b) => b - a);
  const cols = wm.map((rho) => ({ label: rho === 0 ? 'ρ = 0 (human only)' : `ρ = ${rho}`, students: r.students.filter((s) => s.teacher === 'watermarked' && s.rho === rho) }));
  const ctl = [...new Set(r.students.filter((s) => s.teacher === 'unwatermarked').map((s) => s.rho))].sort((a, b) => b - a);
  for (const rho of ctl) cols.push({ label: `control (ρ = ${rho}, no key)`, students: r.students.filter((s) => s.teacher === 'unwatermarked' && s.rho === rho) });
  return cols;
}

/** min … max over the seeds that have the result; bold when every one of them is ≤ −6 (α = 1e-6). */
export function seedRange(values: (number | undefined)[]): string {
  const v = values.filter((x): x is number => x !== undefined);
  if (v.length === 0) return '—';
  const lo = Math.min(...v), hi = Math.max(...v);
  const txt = v.length === 1 ? `${f1(lo)} (1 seed)` : `${f1(lo)} … ${f1(hi)}`;
  return hi <= -6 ? `**${txt}**` : txt;
}

/** Smallest watermarked ρ > 0 whose every seed (or, with `any`, some seed) reaches log10 p ≤ t in the given test; null if none. */
export function frontier(r: NeuralResults, t: number, pick: Pick, any = false): number | null {
  const rhos = [...new Set(r.students.filter((s) => s.teacher === 'watermarked' && s.rho > 0).map((s) => s.rho))].sort((a, b) => a - b);
  for (const rho of rhos) {
    const vals = r.students.filter((s) => s.teacher === 'watermarked' && s.rho === rho).map(pick);
    const hit = (v: number | undefined): boolean => v !== undefined && v <= t;
    if (vals.length && (any ? vals.some(hit) : vals.every(hit))) return rho;
  }
  return null;
}

export function renderSummary(r: NeuralResults): string[] {
  const cols = summaryColumns(r);
  const seeds = [...new Set(r.students.map((s) => s.seed))].length;
  const L = [
    `**Summary: log10 p against ρ** (min … max over the ${seeds} seeds of each cell; closed-model rows at q queries of ≤ 48 tokens; decoys: the smallest decoy log10 p of the row over every student, and how many decoy keys were significant at α = 1e-6; frontier: the smallest ρ detected at p ≤ 1e-9 in every seed, in some seed)`,
    '',
    `| test | filter | queries | ${cols.map((c) => c.label).join(' | ')} | decoys min (significant) | frontier at 1e-9: every / some seed |`,
    `|---|---|---:|${cols.map(() => '---:').join('|')}|---:|---|`,
  ];
  for (const row of summaryRows(r)) {
    const d = r.students.map(row.decoys).filter((x) => x !== undefined);
    const mins = d.map((x) => x.min).filter((x): x is number => x !== null);
    const sig = d.reduce((a, x) => a + x.significant, 0);
    const fr = (any: boolean): string => { const x = frontier(r, -9, row.pick, any); return x === null ? 'none' : `ρ = ${x}`; };
    L.push(`| ${row.test} | ${row.filter} | ${row.queries ?? '—'} | ${cols.map((c) => seedRange(c.students.map(row.pick))).join(' | ')} | ${mins.length ? Math.min(...mins).toFixed(2) : '—'} (${sig}) | ${fr(false)} / ${fr(true)} |`);
  }
  return L;
}
