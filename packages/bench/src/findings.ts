/** The "Findings" section of the benchmark report. */
import { at, fmtFpr } from './report-format.js';
import type { BenchResults } from './types.js';

/** Bullet points computed from the results (no hand-written numbers). */
export function findings(r: BenchResults): string[] {
  const c = r.config;
  const out: string[] = [];
  const label = new Map(r.schemes.map((s) => [s.id, s.label]));
  const main = c.fprs.includes(1e-3) ? 1e-3 : c.fprs[0]!;
  // sanity
  const checks = r.sanity.flatMap((d) => d.tpr.map((t) => ({ d, t })));
  const bad = checks.filter(({ t }) => !(t.lo <= t.fpr && t.fpr <= t.hi));
  const ss = r.nullSummary.sanity;
  out.push(
    `Sanity (no watermark): the detection rate equals the FPR within its simultaneous 95% interval (Bonferroni over the ${ss.cells} scheme × temperature × length × level cells) in ${ss.cells - ss.familywiseMiss} of ${ss.cells} cells; ` +
      (bad.length === 0
        ? 'every per-cell 95% interval contains its FPR too.'
        : `${bad.length} per-cell 95% interval${bad.length > 1 ? 's miss' : ' misses'} it (${bad.slice(0, 4).map(({ d, t }) => `${d.scheme} T=${d.length} temp ${d.temperature} FPR ${fmtFpr(t.fpr)}: ${t.k}/${t.n}`).join('; ')}) — with ${ss.cells} intervals, a few misses are expected by chance.`),
  );
  // FPR
  const nulls = r.fpr.flatMap((f) => f.rows.map((x) => ({ where: `${f.scheme} ${f.nullSet} T=${f.length}`, x })));
  const cps = r.copyPasteNull.flatMap((n) => [
    ...n.whole.map((x) => ({ where: `${n.scheme} copy-paste hosts (whole text)`, x })),
    ...n.windowed.map((x) => ({ where: `${n.scheme} copy-paste hosts (windowed)`, x })),
  ]);
  const all = [...nulls, ...cps];
  const anti = all.filter(({ x }) => x.verdict === 'anti-conservative');
  const fs = r.nullSummary.fpr, cs = r.nullSummary.copyPaste;
  if (anti.length === 0) {
    out.push(`Null sets: no empirical FPR interval lies above its nominal level (${all.length} cells: human text, plain model text and the copy-paste hosts; every scheme, length and level).`);
  } else {
    out.push(
      `Null sets: ${anti.length} of ${all.length} per-cell 95% intervals lie above the nominal FPR (${anti.slice(0, 6).map(({ where, x }) => `${where}, FPR ${fmtFpr(x.fpr)}: ${x.k}/${x.n}`).join('; ')}); ` +
        `${fs.familywiseAbove + cs.familywiseAbove} of the simultaneous (Bonferroni) intervals do. About 2.5% of ${all.length} intervals could lie above by chance even for an exact test, and one key's texts are not independent (they share (window, token) tuples), so each flagged null set is re-tested with fresh keys:`,
    );
    for (const rc of r.fprRecheck) {
      const cells = rc.lengths.flatMap((l) => l.rows);
      const still = rc.lengths.flatMap((l) => l.rows.filter((x) => x.verdict === 'anti-conservative').map((x) => `T=${l.length} FPR ${fmtFpr(x.fpr)}: ${x.k}/${x.n}`));
      out.push(
        `Re-check of ${rc.scheme} on ${rc.nullSet}: the same ${rc.texts} texts with ${rc.keys} fresh keys (${rc.keys * rc.texts} tests per cell) — ` +
          (still.length === 0
            ? `all ${cells.length} cells are within or below their 95% interval: the flag was a property of the one key drawn (or chance), not of the test.`
            : `still above the nominal rate in ${still.join('; ')}: a problem of the test to investigate.`),
      );
    }
  }
  // headline TPR at the shortest length where all schemes differ, per temperature
  for (const temp of c.temperatures) {
    for (const L of c.lengths.filter((x) => x === 25 || x === 50 || x === 100)) {
      const rows = r.detection.filter((d) => d.temperature === temp && d.length === L);
      if (rows.length === 0) continue;
      out.push(`T = ${L}, temperature ${temp}: TPR at FPR ${main} — ${rows.map((d) => `${label.get(d.scheme)} ${(at(d.tpr, main)?.rate ?? NaN).toFixed(3)}`).join(', ')}.`);
    }
  }
  // copy-paste
  const cpIds = [...new Set(r.attacks.filter((a) => a.name === 'copy-paste').map((a) => a.attack))];
  for (const id of cpIds) {
    const rows = r.attacks.filter((a) => a.attack === id);
    const better = rows.filter((a) => (at(a.tprWindowed, main)?.rate ?? 0) > (at(a.tpr, main)?.rate ?? 0)).length;
    const worse = rows.filter((a) => (at(a.tprWindowed, main)?.rate ?? 0) < (at(a.tpr, main)?.rate ?? 0)).length;
    const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
    out.push(
      `${id} (${rows[0]!.param}): windowed detection beats whole-text detection for ${better} of ${rows.length} schemes at FPR ${main} (mean TPR ${mean(rows.map((a) => at(a.tpr, main)?.rate ?? 0)).toFixed(3)} whole → ${mean(rows.map((a) => at(a.tprWindowed, main)?.rate ?? 0)).toFixed(3)} windowed${worse ? `; worse for ${worse}` : ''}).`,
    );
  }
  // strongest attacks
  const plainIds = [...new Set(r.attacks.map((a) => a.attack))].filter((id) => id !== 'none' && !id.startsWith('copy-paste'));
  if (plainIds.length > 0) {
    for (const s of r.schemes) {
      const rows = r.attacks.filter((a) => a.scheme === s.id && plainIds.includes(a.attack)).sort((x, y) => (at(x.tpr, main)?.rate ?? 0) - (at(y.tpr, main)?.rate ?? 0));
      const worst = rows.slice(0, 3).map((a) => `${a.attack} ${(at(a.tpr, main)?.rate ?? 0).toFixed(3)}`);
      if (worst.length) out.push(`${s.label}: hardest attacks (TPR at FPR ${main}, no normalisation): ${worst.join(', ')}.`);
    }
  }
  // normalisation
  const obf = r.attacks.filter((a) => a.name === 'homoglyph' || a.name === 'zero-width');
  if (obf.length > 0) {
    const off = obf.map((a) => at(a.tpr, main)?.rate ?? 0), on = obf.map((a) => at(a.tprNormalized, main)?.rate ?? 0);
    out.push(`Homoglyph and zero-width attacks: mean TPR ${(off.reduce((x, y) => x + y, 0) / off.length).toFixed(3)} without normalisation, ${(on.reduce((x, y) => x + y, 0) / on.length).toFixed(3)} with it.`);
  }
  // quality
  for (const temp of c.temperatures) {
    const rows = r.quality.filter((q) => q.temperature === temp && q.scheme !== 'none');
    const base = r.quality.find((q) => q.temperature === temp && q.scheme === 'none');
    if (!base || rows.length === 0) continue;
    const low = rows.filter((q) => q.distinct2 < 0.9 * base.distinct2);
    out.push(
      `Quality at temperature ${temp}: perplexity ratio to plain text ${Math.min(...rows.map((q) => q.perplexityRatio)).toFixed(2)}–${Math.max(...rows.map((q) => q.perplexityRatio)).toFixed(2)}` +
        (low.length ? `; distinct-2 falls below 90% of plain text's (${base.distinct2.toFixed(3)}) for ${low.map((q) => `${label.get(q.scheme)} ${q.distinct2.toFixed(3)}`).join(', ')} — keyed samplers with a short context repeat themselves (the same context always picks the same token).` : '.'),
    );
  }
  return out;
}
