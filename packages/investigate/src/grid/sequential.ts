/**
 * Sequential testing (`probe --until-evidence`, section 4 of docs/RADIOACTIVITY.md): how
 * many queries the e-process needs on the grid's students, and how often it raises a
 * false alarm on innocent streams drawn from the null exactly.
 */
import { BernoulliMixture, binomialCriticalValue, planTest, SequentialMonitor, type EvidenceItem } from '@tracemark/detector';
import { seededRng, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import type { GridSimulation } from './simulation.js';
import type { InnocentRow, PipelineRow } from './types.js';

/** The students' answers in random orders; stop when the e-process crosses 1/α (α = 1e-6). */
export function sequentialRow(sim: GridSimulation, scheme: string, spec: WatermarkSpec, key: WatermarkKey, rho: number, items: readonly EvidenceItem[]): PipelineRow {
  const S = sim.sizes.sequential;
  const alpha = 1e-6;
  const full = new SequentialMonitor({ spec, key, alpha });
  for (const it of items) full.add(it);
  const fs = full.state();
  const nm = new Watermark(spec, key).nullModel;
  const qHat = nm.kind === 'binomial' ? fs.fixedN.score / fs.fixedN.trials : fs.fixedN.score / fs.fixedN.scored;
  let fixedNTuples: number | null = null, fixedNQueries: number | null = null;
  const effect = nm.kind === 'binomial' ? qHat > nm.p : qHat > 1;
  if (rho > 0 && effect) {
    const pl = planTest({ nullModel: nm, ...(nm.kind === 'binomial' ? { q: qHat } : { mean: qHat }), alpha, power: 0.9, tokensPerResponse: fs.scored / items.length });
    fixedNTuples = pl.tokens.exact;
    fixedNQueries = pl.queries?.exact ?? null;
  }
  const stops: { q: number; t: number }[] = [];
  for (let o = 0; o < S.orderings; o++) {
    const ord = seededRng(`order/${scheme}/${rho}/${o}`);
    const idx = items.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(ord() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const m = new SequentialMonitor({ spec, key, alpha });
    for (const i of idx) {
      const st = m.add(items[i]!);
      if (st.stop === 'evidence') {
        stops.push({ q: st.crossedAtResponse!, t: st.crossedAtScored! });
        break;
      }
    }
  }
  const qs = stops.map((x) => x.q).sort((a, c) => a - c), ts = stops.map((x) => x.t).sort((a, c) => a - c);
  const half = Math.ceil(S.orderings / 2);
  const p90 = Math.ceil(0.9 * S.orderings);
  sim.log(`sequential ${scheme} ρ = ${rho}: ${stops.length}/${S.orderings} stopped`);
  return {
    scheme,
    h: 1,
    rho,
    alpha,
    orderings: S.orderings,
    stoppedRuns: stops.length,
    medianStopQueries: qs.length >= half ? qs[half - 1]! : null,
    medianStopTuples: ts.length >= half ? ts[half - 1]! : null,
    p90StopQueries: qs.length >= p90 ? qs[p90 - 1]! : null,
    fixedNTuples,
    fixedNQueries,
    qHat,
    maxQueries: items.length,
  };
}

/** Innocent streams: the null exactly (Bernoulli(γ) tokens; SynthID: 30 Bernoulli(½) g-values per token). */
export function runInnocent(sim: GridSimulation): InnocentRow[] {
  const S = sim.sizes.sequential;
  const rng = seededRng('sequential/innocent');
  const out: InnocentRow[] = [];
  for (const alpha of S.alphas) {
    const lnT = -Math.log(alpha);
    const b = new BernoulliMixture(0.25).boundary(S.cap, lnT);
    const crit = new Map<number, number>();
    for (let n = 100; n <= S.cap; n += 100) crit.set(n, binomialCriticalValue(n, 0.25, Math.log(alpha)));
    let e = 0, peek = 0;
    for (let r = 0; r < S.streams; r++) {
      let s = 0, hitE = false, hitP = false;
      for (let n = 1; n <= S.cap && !(hitE && hitP); n++) {
        if (rng() < 0.25) s++;
        if (!hitE && s >= b[n]!) hitE = true;
        const c = crit.get(n);
        if (!hitP && c !== undefined && s >= c) hitP = true;
      }
      if (hitE) e++;
      if (hitP) peek++;
    }
    out.push({ scheme: 'KGW (Bernoulli γ = 0.25)', alpha, streams: S.streams, cap: S.cap, eAlarms: e, peekAlarms: peek, peekEvery: 100 });
    const cap2 = Math.floor(S.cap / 5);
    const sb = new BernoulliMixture(0.5, 30).boundary(cap2, lnT);
    let se = 0;
    for (let r = 0; r < S.streams; r++) {
      let s = 0;
      for (let n = 1; n <= cap2; n++) {
        for (let j = 0; j < 30; j++) if (rng() < 0.5) s++;
        if (s >= sb[n]!) {
          se++;
          break;
        }
      }
    }
    out.push({ scheme: 'SynthID (30 × Bernoulli ½ per token)', alpha, streams: S.streams, cap: cap2, eAlarms: se, peekAlarms: null, peekEvery: null });
  }
  sim.log('innocent streams done');
  return out;
}
