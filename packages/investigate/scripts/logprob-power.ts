/**
 * The logprob test's power against the sampled-token test at equal queries
 * (docs/RADIOACTIVITY.md §4c): Kneser–Ney students distilled at ρ ∈ {1, 0.1, 0.05, 0.01, 0}
 * (share of harvested watermarked tokens, same training size; two distillation seeds; the
 * setup of open-model-sweep.ts) answer the same probe prompts — sampled from their own distribution at
 * temperature 1, the top-k of that distribution returned at every token, as `tracemark serve`
 * does — and both tests read the same transcript at 50 / 100 / 300 / 1000 queries, unfiltered
 * and supervised (only windows the ledger recorded for the harvested answers: §1's filter),
 * with decoy keys. The top-k is taken from the student's listed candidates (the sparse distribution it
 * samples from); the server takes it from the dense log-probabilities — the same tokens
 * whenever the k most likely are listed, which Kneser–Ney listings (every continuation and
 * the most frequent unigrams) guarantee.
 *
 *   node --conditions=source --import tsx packages/investigate/scripts/logprob-power.ts [--queries N] [--write]
 *
 * --queries N (default 1000): probe N prompts; checkpoints 50, 100, 300, 1000, 3000, 10000 up to N.
 * --write: docs/logprob-power-results.json and the table between the markers of §4c.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { humanText, promptSet } from '@tracemark/corpora';
import { LogprobRun, RadioactivityRun, listingFromLogprobs, lnToLog10, WindowHashSet } from '@tracemark/detector';
import { distil, drawSparse, encode, harvest, referenceModel, type LanguageModel } from '@tracemark/lm';
import { parseSpec, seededRng, Watermark, WatermarkKey } from '@tracemark/watermark';
import { LOGPROB_POWER_BEGIN, LOGPROB_POWER_END, renderLogprobPower, type LogprobPowerCell, type LogprobPowerResults, type PowerTest, type PowerVariant } from './logprob-power-doc.js';

const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff));
const SPEC = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint });
const DECOYS = Array.from({ length: 5 }, (_, i) => new WatermarkKey(Uint8Array.from({ length: 32 }, (_, j) => (j * 13 + i * 29 + 3) & 0xff)));
const RHOS = [1, 0.1, 0.05, 0.01, 0];
const qi = process.argv.indexOf('--queries');
const MAX_QUERIES = qi >= 0 ? Number(process.argv[qi + 1]) : 1000;
if (!(Number.isInteger(MAX_QUERIES) && MAX_QUERIES >= 50 && MAX_QUERIES <= 100_000)) {
  process.stderr.write('--queries must be an integer in [50, 100000]\n');
  process.exit(2);
}
const CHECKPOINTS = [50, 100, 300, 1000, 3000, 10_000].filter((c) => c <= MAX_QUERIES);
const KS = [5, 20];
const PROBE_TOKENS = 80;
const DISTIL_SEEDS = [4, 5];
const VARIANTS: PowerVariant[] = ['unfiltered', 'supervised'];

const t0 = performance.now();
const teacher = referenceModel();
const human = humanText({ split: 'train' }).map((d) => d.text);
const served = harvest({ teacher, spec: SPEC, key: KEY, prompts: promptSet(150, 21), maxTokens: 120, seed: 9 });
// probe prompts: another seed than the harvest's (drawn independently, not guaranteed disjoint)
const prompts = promptSet(MAX_QUERIES, 303).map((p) => ({ text: p, tokens: encode(SPEC.tokenizer, p) }));
const wm = new Watermark(SPEC, KEY);
const mu = wm.gammaEff;
// the supervised filter: every window the server's ledger recorded for the harvested answers
// (each generation step's window, its context reaching into the prompt)
const filter = new WindowHashSet();
{
  const w = { hi: 0, lo: 0 };
  for (const r of served) {
    const all = [...r.promptTokens, ...r.tokens];
    for (let end = r.promptTokens.length; end <= all.length; end++) if (wm.windowSeed(all, end, w)) filter.add(w.hi >>> 0, w.lo >>> 0);
  }
}
const filterOf = (v: PowerVariant) => (v === 'supervised' ? { filter, filterName: 'supervised' } : {});

/** One answer: sampled from the student at temperature 1, with its top-max(KS) listing (ids, ln p) at every token. */
function answer(model: LanguageModel, prompt: Uint32Array, seed: string): { tokens: number[]; tops: { ids: number[]; lps: number[] }[] } {
  const rng = seededRng(seed);
  const ctx = new Uint32Array(prompt.length + PROBE_TOKENS);
  ctx.set(prompt);
  let len = prompt.length;
  const tokens: number[] = [];
  const tops: { ids: number[]; lps: number[] }[] = [];
  const kMax = Math.max(...KS);
  for (let i = 0; i < PROBE_TOKENS; i++) {
    const d = model.distribution(ctx, len, { temperature: 1 });
    const order = Array.from(d.probs.keys()).sort((a, b) => d.probs[b]! - d.probs[a]! || d.ids[a]! - d.ids[b]!).slice(0, kMax);
    const t = drawSparse(d, rng).token;
    if (model.eos !== undefined && t === model.eos) break;
    tops.push({ ids: order.map((j) => d.ids[j]!), lps: order.map((j) => Math.log(d.probs[j]!)) });
    tokens.push(t);
    ctx[len++] = t;
  }
  return { tokens, tops };
}

const decoyTest = (lnP: number, decoyLnPs: number[]): PowerTest => ({
  log10P: lnToLog10(lnP),
  decoysMinLog10P: decoyLnPs.length ? lnToLog10(Math.min(...decoyLnPs)) : null,
  decoysSignificant: decoyLnPs.filter((l) => l <= Math.log(1e-6)).length,
});

const cells: LogprobPowerCell[] = [];
let trainingTokens = 0;
for (const rho of RHOS) {
  for (const seed of DISTIL_SEEDS) {
    const d = distil({ harvested: served, humanText: human, rho, seed });
    trainingTokens = d.harvestedTokens + d.humanTokens;
    const sampled = VARIANTS.map((v) => new RadioactivityRun({ spec: SPEC, key: KEY, decoyKeys: DECOYS, ...filterOf(v) }));
    const runs = KS.flatMap((k) => VARIANTS.map((v) => ({ k, v, run: new LogprobRun({ spec: SPEC, key: KEY, decoyKeys: DECOYS, ...filterOf(v) }) })));
    let tokens = 0;
    for (let q = 0; q < prompts.length; q++) {
      const p = prompts[q]!;
      const a = answer(d.model, p.tokens, `logprob-power/${rho}/${seed}/${q}`);
      tokens += a.tokens.length;
      for (const s of sampled) s.add({ id: `q${q}`, tokens: Uint32Array.from(a.tokens), given: [p.tokens] });
      for (const r of runs) r.run.add({ id: `q${q}`, tokens: a.tokens, listings: a.tops.map((t) => listingFromLogprobs(t.ids.slice(0, r.k), t.lps.slice(0, r.k))), given: [p.tokens] });
      if (!CHECKPOINTS.includes(q + 1)) continue;
      const ss = sampled.map((s) => s.summary());
      const ls = runs.map((r) => ({ k: r.k, variant: r.v, s: r.run.summary() }));
      // radioactivity --filter on the top-5 transcript: sampled and logprob, unfiltered and supervised
      const four = [...ss.map((s) => s.pooled.lnP), ...ls.filter((l) => l.k === 5).map((l) => l.s.test.lnP)];
      cells.push({
        rho,
        seed,
        queries: q + 1,
        tokens,
        sampled: ss.map((s, i) => ({ variant: VARIANTS[i]!, scored: s.pooled.scored, test: decoyTest(s.pooled.lnP, s.decoys.log10P.map((x) => x * Math.LN10)) })),
        logprob: ls.map((l) => ({ k: l.k, variant: l.variant, windows: l.s.test.windows, mean: l.s.test.mean, test: decoyTest(l.s.test.lnP, l.s.decoys.log10P.map((x) => x * Math.LN10)) })),
        combinedLog10P: lnToLog10(Math.min(0, Math.min(...four) + Math.log(four.length))),
      });
      process.stderr.write(`ρ ${rho} seed ${seed}, ${q + 1} queries: sampled ${ss.map((s) => s.pooled.log10P.toFixed(1)).join(' / ')}, logprob ${ls.map((l) => l.s.test.log10P.toFixed(1)).join(' / ')}\n`);
    }
  }
}
const results: LogprobPowerResults = {
  spec: 'KGW γ = 0.25 δ = 2, h = 1 left',
  servedAnswers: served.length,
  answerTokens: 120,
  trainingTokens,
  probeTokens: PROBE_TOKENS,
  distilSeeds: DISTIL_SEEDS,
  filterWindows: filter.size,
  decoys: DECOYS.length,
  nullMean: mu,
  seconds: Math.round((performance.now() - t0) / 1000),
  loadAverage: loadavg()[0]!,
  cells,
};
const table = renderLogprobPower(results);
process.stdout.write(`${table}\n`);
if (process.argv.includes('--write')) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  writeFileSync(`${root}docs/logprob-power-results.json`, `${JSON.stringify(results, null, 1)}\n`);
  const doc = readFileSync(`${root}docs/RADIOACTIVITY.md`, 'utf8');
  const a = doc.indexOf(LOGPROB_POWER_BEGIN), b = doc.indexOf(LOGPROB_POWER_END);
  if (a < 0 || b < a) throw new Error('docs/RADIOACTIVITY.md has no logprob-power markers');
  writeFileSync(`${root}docs/RADIOACTIVITY.md`, `${doc.slice(0, a + LOGPROB_POWER_BEGIN.length)}\n${table}\n${doc.slice(b)}`);
  process.stderr.write('wrote docs/logprob-power-results.json and docs/RADIOACTIVITY.md\n');
}
