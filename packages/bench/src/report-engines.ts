/** The report section on the engines' own detectors (engine schemes only; engine-own.ts). */
import { r3, table } from './report-format.js';
import type { BenchResults } from './types.js';

export function renderEngineOwn(r: BenchResults, p: (s?: string) => void): void {
  const rows = r.engineOwn ?? [];
  const label = new Map(r.schemes.map((s) => [s.id, s.label]));
  const schemes = [...new Set(rows.map((x) => x.scheme))];
  const T = Math.max(...r.config.lengths);
  const cell = (scheme: string, set: string, length: number): string => {
    const x = rows.find((y) => y.scheme === scheme && y.set === set && y.length === length);
    return x === undefined ? '—' : x.rate === null ? 'no verdict' : `${r3(x.rate)} (${x.called}/${x.texts})`;
  };
  p("## The engines' own detectors");
  p();
  p(
    `The same texts read by each engine's own detector (its statistic, dedup and null, on the re-tokenized ids, prompt ids passed): the share it calls watermarked — its verdict at its default threshold, or, where it reports only a p-value, p ≤ 0.01. Watermarked samples at each length, and the ${rows.find((x) => x.set === 'human')?.texts ?? 0} human null texts at T = ${T} (a false-positive rate at the engine's own threshold, not at the FPR levels above).`,
  );
  p();
  for (const temperature of r.config.temperatures) {
    p(`Temperature ${temperature}, watermarked samples:`);
    p();
    p(table(['scheme', 'rule', ...r.config.lengths.map((L) => `T = ${L}`)], schemes.map((s) => [label.get(s) ?? s, rows.find((x) => x.scheme === s)?.rule ?? '', ...r.config.lengths.map((L) => cell(s, `marked@${temperature}`, L))])));
    p();
  }
  p(`Human text (T = ${T}):`);
  p();
  p(table(['scheme', 'engine statistic', 'called watermarked'], schemes.map((s) => [label.get(s) ?? s, rows.find((x) => x.scheme === s)?.statistic ?? '', cell(s, 'human', T)]), ['l', 'l', 'r']));
  p();
}
