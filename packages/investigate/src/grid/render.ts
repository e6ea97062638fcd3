/**
 * The results section of docs/RADIOACTIVITY.md, rendered from the grid's results. A
 * function of the results alone: the same results give the same Markdown.
 */
import { DECOY_KS_THRESHOLD } from '@tracemark/detector';
import type { Cell, GridResult, RadioactivityResults } from './types.js';

// Bold = significant at α = 1e-6 as the verdict counts it: a single variant on its own (table 1
// runs only the unfiltered test), or after Bonferroni over the three variants of table 2
// (docs/RADIOACTIVITY.md §1.7: the variants are chosen before scoring and combined so).
const LOG10_ALPHA = -6;
const bold = (x: number, variants: number): string => (x + Math.log10(variants) <= LOG10_ALPHA ? `**${x.toFixed(1)}**` : x.toFixed(1));
const f1 = (x: number): string => bold(x, 1);
const f3 = (x: number): string => bold(x, 3);
const med = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const schemeName = (s: string): string => (s === 'kgw' ? 'KGW' : s === 'gumbel' ? 'Gumbel' : 'SynthID');

/** Markdown tables of every section (the text between the results markers of docs/RADIOACTIVITY.md). */
export function renderRadioactivityDoc(r: RadioactivityResults): string {
  const z = r.sizes;
  const L: string[] = [];
  L.push(`Generated in ${r.seconds.toFixed(0)} s on ${r.workers} worker processes. Sizes: students trained on ${z.train.toLocaleString('en-US')} tokens; harvest answers ≤ ${z.harvestMaxTokens} tokens; probe answers ≤ ${z.probeTokens} tokens; ${z.decoys} decoy keys per test; unsupervised filter from one watermarked answer (≤ ${z.teacherTokens} tokens) of the provider's model per probe prompt. Bold: significant at α = 1e-6 as a verdict counts it: log10 p ≤ −6 in table 1 (one variant, unfiltered), log10 p + log10 3 ≤ −6 in table 2 (Bonferroni over its three variants). Probe prompts and harvest prompts are drawn independently from the same held-out sentence pool, so a probe prompt can also have been a harvest prompt; the exclusion of the probe prompt's own windows (§1.1) is what keeps a copied prompt from counting.`);
  L.push('');
  L.push('### 1. Clone vs. control, unfiltered (log10 p of the pooled exact test)');
  L.push('');
  L.push(`Columns ρ: share of the student's training tokens harvested from the watermarked API; ρ = 0 is the innocent control. Decoys: median / min of log10 p over the ${z.decoys} decoy keys × ${z.rhos.length} students of the row, and the KS p-value of those decoy p-values against U(0, 1).`);
  L.push('');
  const rhos = z.rhos;
  L.push(`| scheme | h | queries | ${rhos.map((x) => (x === 0 ? 'ρ = 0 (control)' : `ρ = ${x}`)).join(' | ')} | decoys med / min | decoy KS p (min of ${rhos.length}) |`);
  L.push(`|---|---:|---:|${rhos.map(() => '---:').join('|')}|---:|---:|`);
  const cell = (g: GridResult, rho: number, variant: Cell['variant'], q: number): Cell | undefined => g.cells.find((c) => c.rho === rho && c.variant === variant && c.queries === q);
  for (const g of r.grid) {
    for (const q of z.queries) {
      const cs = rhos.map((x) => cell(g, x, 'unfiltered', q)!);
      const decoys = cs.flatMap((c) => c.decoys);
      const ks = Math.min(...cs.map((c) => c.decoyKs ?? 1));
      L.push(`| ${schemeName(g.scheme)} | ${g.h} | ${q} | ${cs.map((c) => `${f1(c.log10P)}`).join(' | ')} | ${med(decoys).toFixed(2)} / ${Math.min(...decoys).toFixed(2)} | ${ks.toFixed(3)} |`);
    }
  }
  let decoysSignificant = 0, decoyCount = 0, controlsSignificant = 0, controlCount = 0, ksRuns = 0, ksLow = 0, minDecoy = 0, minControl = 0, decoysSmall = 0;
  for (const g of r.grid) {
    for (const c of g.cells) {
      decoyCount += c.decoys.length;
      if (c.scored < 100) decoysSmall += c.decoys.length; // a decoy scores the same positions as our key
      decoysSignificant += c.decoys.filter((d) => d <= -6).length;
      minDecoy = Math.min(minDecoy, ...c.decoys);
      if (c.decoyKs !== null) {
        ksRuns++;
        if (c.decoyKs < DECOY_KS_THRESHOLD) ksLow++;
      }
      if (c.rho === 0) {
        controlCount++;
        minControl = Math.min(minControl, c.log10P);
        if (c.log10P <= -6) controlsSignificant++;
      }
    }
  }
  L.push('');
  const perControl = controlCount / r.grid.length;
  L.push(`Negative controls over every cell of sections 1–2 (all variants, all query counts): ${decoysSignificant} of ${decoyCount.toLocaleString('en-US')} decoy tests significant (smallest log10 p ${minDecoy.toFixed(2)}; ${decoysSmall.toLocaleString('en-US')} of these tests score fewer than 100 tuples, where even a real signal could hardly reach α); ${controlsSignificant} of ${controlCount} control tests significant (smallest ${minControl.toFixed(2)}) — these are ${r.grid.length} control students (one per scheme and h), each tested ${perControl} times (query counts × variants) on overlapping answers, so they are not ${controlCount} independent checks; decoy uniformity (KS over the ${z.decoys} decoys of one test) rejected at p < ${DECOY_KS_THRESHOLD} in ${ksLow} of ${ksRuns} tests. The KS column is the smallest of the ${rhos.length} per-student KS p-values of the row (so values near 0.01 are expected now and then).`);
  L.push('');
  const qMax = Math.max(...z.queries);
  L.push(`### 2. Filters at equal queries (${qMax} queries): unfiltered / supervised / unsupervised`);
  L.push('');
  L.push("Supervised: the ledger windows of the answers the cloner harvested (for ρ = 0: of the whole ρ = 1 harvest). Unsupervised: the windows of the provider's own fresh watermarked answers to the probe prompts. Each cell: log10 p unfiltered / supervised / unsupervised; below, the distinct tuples scored in the same order.");
  L.push('');
  L.push(`| scheme | h | ${rhos.map((x) => (x === 0 ? 'ρ = 0 (control)' : `ρ = ${x}`)).join(' | ')} |`);
  L.push(`|---|---:|${rhos.map(() => '---').join('|')}|`);
  for (const g of r.grid) {
    const row = rhos.map((x) => {
      const cs = (['unfiltered', 'supervised', 'unsupervised'] as const).map((v) => cell(g, x, v, qMax)!);
      return `${cs.map((c) => f3(c.log10P)).join(' / ')}<br><sub>${cs.map((c) => c.scored).join(' / ')}</sub>`;
    });
    L.push(`| ${schemeName(g.scheme)} | ${g.h} | ${row.join(' | ')} |`);
  }
  L.push('');
  if (r.attribution) {
    const a = r.attribution;
    const A = z.attribution;
    const pct = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
    L.push(`### 3. Attribution: ${a.accounts.toLocaleString('en-US')} accounts, ${a.harvesters} of them harvesting (FWER α = ${A.alpha})`);
    L.push('');
    L.push(`Spec: ${a.spec}; payload = account id. Every account received ${A.innocentResponses} answers of ≤ ${A.innocentTokens} tokens, each harvester ${A.harvesterResponses} of ≤ ${A.harvesterTokens}; the provider's ledger holds every answer's windows.`);
    L.push('');
    L.push(`Leaked texts: ${A.leaksPerHarvester} watermarked answers per harvester plus ${A.humanLeaks} human texts of the same length; candidates = the ${a.accounts.toLocaleString('en-US')} account ids; every digit must be significant (intersection–union test), Holm over texts × candidates.`);
    L.push('');
    L.push('| max answer length (tokens) | mean scored tuples per leaked text | hypotheses | accounts named | correct | precision | recall | texts named wrongly | human texts named |');
    L.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const x of a.leaks) L.push(`| ${x.leakTokens} | ${x.meanScored} | ${x.hypotheses.toLocaleString('en-US')} | ${x.named} | ${x.truePositives} | ${pct(x.precision)} | ${pct(x.recall)} | ${x.textsNamedWrongly} | ${x.humanNamed} |`);
    L.push('');
    L.push(`Clones (${A.cloneQueries} probe answers of ≤ ${A.cloneTokens} tokens): per account, the exact test of agreement with its payload digits at the windows only it received (exclusive ledger windows), Holm over all ${a.accounts.toLocaleString('en-US')} accounts. "Tuples needed": what the exact test needs per guilty account at the measured agreement rate for power 0.9 at level α/${a.accounts} (planner).`);
    L.push('');
    L.push('| clone trained on | guilty | tuples at exclusive windows | accounts named | correct | precision | recall | median tuples per guilty account | its agreement rate (γ = 0.25) | tuples needed |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of a.clones) L.push(`| ${c.clone} | ${c.harvesters} | ${c.exclusivePositions.toLocaleString('en-US')} | ${c.named} | ${c.truePositives} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.harvesters ? c.medianHarvesterScored : '—'} | ${c.medianHarvesterRate === null ? '—' : c.medianHarvesterRate.toFixed(3)} | ${c.tuplesNeeded?.toLocaleString('en-US') ?? '—'} |`);
    L.push('');
  }
  L.push('### 4. Sequential testing (`probe --until-evidence`)');
  L.push('');
  L.push('Innocent streams (the null exactly): how often the e-process ever reaches 1/α within the cap, against stopping at the first fixed-N p ≤ α when peeking after every 100 tokens.');
  L.push('');
  L.push('| null stream | α | streams | tokens per stream (cap) | e-process false alarms | rate | peeking fixed-N false alarms | rate |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.innocent) {
    L.push(`| ${x.scheme} | ${x.alpha} | ${x.streams} | ${x.cap.toLocaleString('en-US')} | ${x.eAlarms} | ${(x.eAlarms / x.streams).toFixed(4)} | ${x.peekAlarms ?? '—'} | ${x.peekAlarms === null ? '—' : (x.peekAlarms / x.streams).toFixed(4)} |`);
  }
  L.push('');
  const pipe = r.grid.flatMap((g) => g.pipeline);
  if (pipe.length) {
    L.push(`Real pipeline, h = 1, α = 1e-6: each student of section 1 probed in ${z.sequential.orderings} random orders of its ${pipe[0]!.maxQueries} answers; queries (and distinct tuples) until the e-process crossed 1/α. Fixed-N: what the planner asks for at power 0.9 for the effect measured on all ${pipe[0]!.maxQueries} answers — an oracle plan; a fixed-N test must commit to its N in advance.`);
    L.push('');
    L.push('| scheme | ρ | measured effect | fixed-N tuples | fixed-N queries | sequential runs stopped | median queries | median tuples | 90th pct queries |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const x of pipe) {
      L.push(`| ${schemeName(x.scheme)} | ${x.rho} | ${x.qHat === null ? '—' : x.qHat.toFixed(4)} | ${x.fixedNTuples?.toLocaleString('en-US') ?? '—'} | ${x.fixedNQueries?.toLocaleString('en-US') ?? '—'} | ${x.stoppedRuns}/${x.orderings} | ${x.medianStopQueries ?? '—'} | ${x.medianStopTuples?.toLocaleString('en-US') ?? '—'} | ${x.p90StopQueries ?? '—'} |`);
    }
    L.push('');
  }
  return `${L.join('\n')}\n`;
}
