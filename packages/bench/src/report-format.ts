/** Cell formatting shared by the benchmark report's tables and its findings. */
import type { RateAt } from './metrics.js';
import type { NullRateAt } from './types.js';

export const fmtFpr = (x: number): string => (x >= 1e-2 ? String(x) : x.toExponential(0));
export const r2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
export const r3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');

export function sci(x: number): string {
  if (x === 0) return '0';
  if (x >= 0.001) return x.toPrecision(2).replace(/\.?0+$/, '');
  return x.toExponential(1);
}

export function table(head: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  const lines = [`| ${head.join(' | ')} |`, `|${a.map((x) => (x === 'l' ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function at(rs: readonly RateAt[] | undefined, fpr: number): RateAt | undefined {
  return rs?.find((r) => r.fpr === fpr);
}

export function cellRates(rs: readonly RateAt[], fprs: readonly number[]): string {
  return fprs.map((f) => r3(at(rs, f)?.rate ?? NaN)).join(' / ');
}

export function nullCells(xs: readonly NullRateAt[]): string {
  return xs.map((x) => `${x.k}/${x.n}${x.verdict === 'anti-conservative' ? ' ANTI' : ''}`).join(' · ');
}

export function fprCell(x: NullRateAt | undefined): string {
  if (!x) return '—';
  const v = x.verdict === 'anti-conservative' ? 'ANTI-CONSERVATIVE' : x.verdict;
  return `${x.k}/${x.n}, ${sci(x.rate)} [${sci(x.lo)}, ${sci(x.hi)}] ${v}`;
}
