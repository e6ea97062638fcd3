/**
 * The Markdown report of a benchmark run (docs/BENCHMARKS.md is one of these,
 * from the default run). Everything but the "Speed" section and the runtime line
 * is a function of the results' deterministic part, so the same seed gives the
 * same report apart from those.
 */
import { ATTACK_NAMES, DEFAULT_ATTACKS, describeAttack } from './attacks/index.js';
import { chartNames } from './charts.js';
import { findings } from './findings.js';
import { at, cellRates, fmtFpr, fprCell, nullCells, r2, r3, sci, table } from './report-format.js';
import type { BenchResults } from './types.js';
import { renderEngineOwn } from './report-engines.js';

export { findings };

export interface ReportOptions {
  /** Prefix of chart links, relative to the Markdown file ('' = same directory). */
  chartDir?: string;
  /** The command line that produced the run (shown to reproduce it). */
  command?: string;
}

export function defaultCommand(r: BenchResults): string {
  return `tracemark bench --seed ${r.config.seed}${r.config.quick ? ' --quick' : ''}`;
}

export function renderMarkdown(r: BenchResults, opts: ReportOptions = {}): string {
  const c = r.config;
  const dir = opts.chartDir ?? '';
  const charts = chartNames(r);
  const label = new Map(r.schemes.map((s) => [s.id, s.label]));
  const main = c.fprs.includes(1e-3) ? 1e-3 : c.fprs[0]!;
  const fprList = c.fprs.map(fmtFpr).join(' / ');
  const Tmax = Math.max(...c.lengths, c.attackLength);
  const out: string[] = [];
  const p = (s = ''): void => {
    out.push(s);
  };

  p('# tracemark detection benchmark');
  p();
  p(`Produced by \`${opts.command ?? defaultCommand(r)}\` (results format ${r.format}). Same seed → same numbers, except the`);
  p('Speed section and the runtime, which are wall-clock measurements. Full results, configuration and');
  p(`versions: \`${dir}results.json\`; charts: the SVG files next to it.`);
  p();
  p(`Model: the built-in reference LM (\`${r.environment.model.id}\`, Kneser–Ney order ${r.environment.model.order} over ${r.environment.tokenizer});`);
  p(`node ${r.environment.node}; packages ${Object.entries(r.environment.packages).map(([k, v]) => `${k}@${v}`).join(', ')}.`);
  p(`Runtime ${r.timing.totalSeconds.toFixed(0)} s with ${r.timing.workers} worker thread(s).`);
  p();

  // ---- protocol ----
  p('## Protocol');
  p();
  p(`- **Prompts**: ${r.data.prompts.count} sentence starts (4–10 words) from the corpora's \`heldout\` split; the reference LM is trained on \`train\`, so it has never seen them. Sample *i* uses prompt *i* and sampling seed (temperature, *i*) for every scheme, so watermarked and plain samples are paired.`);
  p(`- **Generation**: ${c.samples} samples per scheme and temperature (${c.temperatures.join(', ')}), each generated once to ${Tmax} tokens with end-of-text suppressed; the T-token sample is its prefix, T ∈ {${c.lengths.join(', ')}}.`);
  const engines = r.schemes.filter((s) => (s.spec as { version?: number }).version === 2);
  if (engines.length > 0) {
    p(`- **Engine schemes** (${engines.map((s) => `\`${s.id}\``).join(', ')}): the serving engines' own watermarks with their default parameters, embedded by each engine's sampling rule (\`createSpecSampler\`: a fresh sampler per sample, given the prompt ids; the same prompts and sampling seeds) from the model's listed candidates at each step; with probability the mass of the model's unlisted tail the token is instead drawn plainly from that tail and the engine's state advanced with it, so tokens keep the model's distribution for the distortion-free engines and those positions carry no watermark (the engine rows are, if anything, conservative: tracemark's samplers watermark the tail exactly) — and detected by the same exact test with the engine spec (each engine's PRF and context, tracemark's dedup and null; prompt ids passed for the engines whose first contexts reach into the prompt). The engines' own detectors on the same texts have their own section below.`);
  }
  p(`- **Detection**: on the decoded text, re-tokenized by the detector, prompt windows excluded, every (window, token) tuple scored once. **Reject iff the exact p-value ≤ FPR** for FPR ∈ {${fprList}}: no threshold is fitted to any data.`);
  p(`- **Null sets**: human text — ${r.data.humanNull.texts} texts of ${r.data.humanNull.tokens} tokens cut from the \`calibration\` split (their prefixes for shorter T); and plain (unwatermarked) text of the same model, prompts and temperatures (${c.samples} per temperature). The empirical FPR is reported with its 95% Clopper–Pearson interval; an interval above the nominal level would be a finding, not something to tune away.`);
  p(`- **Sanity row**: the plain samples scored with each scheme's key, read as if they were watermarked: the "TPR" must equal the FPR within its interval.`);
  p(`- **Size**: per sample, the number of tokens after which the p-value stays ≤ α up to ${Tmax} tokens (not at the horizon: "> ${Tmax}"), and the share of samples whose p-value ever reaches α.`);
  p(`- **Quality proxies**: perplexity of the generated tokens under the unwatermarked reference model at temperature 1 (watermarked vs plain, same prompts), and distinct-2/3 (distinct token n-grams / n-grams, mean per sample).`);
  if (c.attacks.length > 0) p(`- **Attacks** on the ${c.attackLength}-token prefix of the temperature-${c.attackTemperature} samples, each a pure seeded function \`(text, params, rng) → text\`; detection on the attacked text (prompt windows excluded) with text normalisation off and on. Copy-paste takes spans from the full ${Tmax}-token sample and pastes them into human text (\`heldout\`) for ≈ ${c.copyPasteTokens} tokens in all; it is scored whole-text and by the detector's windowed test (windows of 32–256 scored tuples, best window's p-value Bonferroni-corrected for the windows scanned).`);
  p(`- **Normalisation** (the defence): ${r.environment.normalization}. The same function ships in the detector as the opt-in \`normalize\` option (off by default; \`packages/detector/src/normalize.ts\`).`);
  p(`- **Keys** are derived from the seed (not secret); ${r.schemes.length} schemes:`);
  p();
  p(table(['scheme', 'descriptor', 'key fingerprint'], r.schemes.map((s) => [s.label, `\`${s.id}\``, `\`${s.keyFingerprint}\``]), ['l', 'l', 'l']));
  p();

  // ---- findings ----
  p('## Findings');
  p();
  for (const line of findings(r)) p(`- ${line}`);
  p();

  // ---- detection ----
  p(`## Detection: TPR at FPR ${fprList}`);
  p();
  for (const temp of c.temperatures) {
    p(`Temperature ${temp}. Each cell: TPR at FPR ${fprList} (${c.samples} samples; 95% intervals in results.json).`);
    p();
    const rows = r.schemes.map((s) => [
      s.label,
      ...c.lengths.map((L) => {
        const d = r.detection.find((x) => x.scheme === s.id && x.temperature === temp && x.length === L);
        return d ? cellRates(d.tpr, c.fprs) : '—';
      }),
    ]);
    p(table(['scheme', ...c.lengths.map((L) => `T = ${L}`)], rows));
    p();
    p(`Median log10 p:`);
    p();
    p(table(['scheme', ...c.lengths.map((L) => `T = ${L}`)], r.schemes.map((s) => [s.label, ...c.lengths.map((L) => r2(r.detection.find((x) => x.scheme === s.id && x.temperature === temp && x.length === L)?.medianLog10P ?? NaN))])));
    p();
  }
  for (const [i, t] of c.temperatures.entries()) p(`![TPR vs length, temperature ${t}](${dir}${charts.tpr[i]})`);
  p();

  // ---- sanity ----
  p('### Sanity row: no watermark');
  p();
  p(`Plain text scored with each scheme's key. Cells: detections k/n at FPR ${fprList}; ✓ when every interval contains its FPR.`);
  p();
  for (const temp of c.temperatures) {
    const rows = r.schemes.map((s) => {
      const cells = c.lengths.map((L) => {
        const d = r.sanity.find((x) => x.scheme === s.id && x.temperature === temp && x.length === L);
        if (!d) return '—';
        const ok = d.tpr.every((t) => t.lo <= t.fpr && t.fpr <= t.hi);
        return `${d.tpr.map((t) => `${t.k}/${t.n}`).join(' · ')} ${ok ? '✓' : '✗'}`;
      });
      return [`none → ${s.label}`, ...cells];
    });
    p(`Temperature ${temp}:`);
    p();
    p(table(['key', ...c.lengths.map((L) => `T = ${L}`)], rows));
    p();
  }

  // ---- FPR ----
  p('## Empirical false-positive rate on the null sets');
  p();
  p(`At T = ${Tmax} (every length is in results.json). Cells: k/n, rate, [95% interval]. Verdict: *ok* (interval contains the FPR), *conservative* (interval below it — exact tests on discrete scores are conservative), *ANTI-CONSERVATIVE* (interval above it).`);
  p();
  const nullSets = [...new Set(r.fpr.map((f) => f.nullSet))];
  const fprRows: string[][] = [];
  for (const s of r.schemes) {
    for (const ns of nullSets) {
      const f = r.fpr.find((x) => x.scheme === s.id && x.nullSet === ns && x.length === Tmax);
      if (!f) continue;
      fprRows.push([s.label, ns, String(f.texts), ...c.fprs.map((lvl) => fprCell(f.rows.find((x) => x.fpr === lvl)))]);
    }
  }
  p(table(['scheme', 'null set', 'texts', ...c.fprs.map((x) => `FPR ${fmtFpr(x)}`)], fprRows, ['l', 'l', ...c.fprs.map(() => 'r' as const), 'r']));
  p();
  const allNull = r.fpr.flatMap((f) => f.rows.map((x) => ({ f, x })));
  const anti = allNull.filter(({ x }) => x.verdict === 'anti-conservative');
  p(`Across all ${r.fpr.length} (scheme, null set, length) cells × ${c.fprs.length} levels: ${allNull.filter(({ x }) => x.verdict === 'ok').length} ok, ${allNull.filter(({ x }) => x.verdict === 'conservative').length} conservative, ${anti.length} anti-conservative${anti.length ? `: ${anti.map(({ f, x }) => `${f.scheme} ${f.nullSet} T=${f.length} FPR ${fmtFpr(x.fpr)} (${x.k}/${x.n})`).join('; ')}` : ''}. These are ${allNull.length} 95% intervals, so about ${Math.round(allNull.length * 0.025)} could lie above their level by chance even for an exact test; with simultaneous (Bonferroni) intervals, ${r.nullSummary.fpr.familywiseAbove} do.`);
  p();

  if (r.fprRecheck.length > 0) {
    p(`**Re-check with fresh keys.** Each null set with an anti-conservative cell (here or in the copy-paste null below) is scored again with ${r.fprRecheck[0]!.keys} fresh keys of the same scheme, pooled: the FPR of the test rather than of one key.`);
    p();
    p(
      table(
        ['scheme', 'null set', 'T', 'keys × texts', ...c.fprs.map((x) => `FPR ${fmtFpr(x)}`)],
        r.fprRecheck.flatMap((rc) =>
          rc.lengths.map((l) => [label.get(rc.scheme) ?? rc.scheme, rc.nullSet, String(l.length), `${rc.keys} × ${rc.texts}`, ...c.fprs.map((lvl) => fprCell(l.rows.find((x) => x.fpr === lvl)))]),
        ),
        ['l', 'l', 'r', 'r', ...c.fprs.map(() => 'r' as const)],
      ),
    );
    p();
  }

  if (r.engineOwn && r.engineOwn.length > 0) renderEngineOwn(r, p);

  // ---- size ----
  p(`## Size: tokens until the p-value stays ≤ α`);
  p();
  p(`Median [quartiles] of the tokens after which p ≤ α holds up to ${Tmax} tokens, and the share of samples whose p ever reached α ("ever").`);
  p();
  const sizeRows: string[][] = [];
  for (const temp of c.temperatures) {
    for (const s of r.schemes) {
      const row = r.size.find((x) => x.scheme === s.id && x.temperature === temp);
      if (!row) continue;
      sizeRows.push([
        s.label,
        String(temp),
        ...c.fprs.map((a) => {
          const x = row.alphas.find((y) => y.alpha === a);
          if (!x) return '—';
          const m = (v: number | null): string => (v === null ? `>${row.horizon}` : String(v));
          return `${m(x.median)} [${m(x.q1)}–${m(x.q3)}], ever ${r3(x.everDetected)}`;
        }),
      ]);
    }
  }
  p(table(['scheme', 'temp.', ...c.fprs.map((a) => `α = ${fmtFpr(a)}`)], sizeRows));
  p();
  for (const [i, t] of c.temperatures.entries()) p(`![size distribution, temperature ${t}](${dir}${charts.size[i]})`);
  p();

  // ---- quality ----
  p('## Quality proxies');
  p();
  p(`Perplexity of the ${Tmax} generated tokens under the unwatermarked reference model (temperature 1), pooled over samples; ratio to plain text at the same temperature; distinct-n of the tokens (mean per sample).`);
  p();
  p(
    table(
      ['scheme', 'temp.', 'perplexity', 'ratio to plain', 'distinct-2', 'distinct-3'],
      r.quality.map((q) => [q.scheme === 'none' ? 'plain (no watermark)' : (label.get(q.scheme) ?? q.scheme), String(q.temperature), r2(q.perplexity), r3(q.perplexityRatio), r3(q.distinct2), r3(q.distinct3)]),
    ),
  );
  p();

  // ---- attacks ----
  if (r.attacks.length > 0) {
    const ids = [...new Set(r.attacks.map((a) => a.attack))];
    p(`## Robustness: TPR at FPR ${fmtFpr(main)} after each attack`);
    p();
    p(`T = ${c.attackLength} tokens before the attack, temperature ${c.attackTemperature}, ${c.samples} samples. Whole-text test, normalisation off ("applied": the mean share of eligible units the attack changed). Copy-paste rows also give the windowed test (w). All levels, intervals and the normalised variant are in results.json.`);
    p();
    const head = ['attack', 'parameter', 'applied', ...r.schemes.map((s) => s.label)];
    const rows = ids.map((id) => {
      const any = r.attacks.find((a) => a.attack === id)!;
      const applied = r.attacks.filter((a) => a.attack === id && a.appliedRate !== null).map((a) => a.appliedRate!);
      return [
        any.name,
        any.param,
        applied.length ? r3(applied.reduce((x, y) => x + y, 0) / applied.length) : '—',
        ...r.schemes.map((s) => {
          const a = r.attacks.find((x) => x.attack === id && x.scheme === s.id);
          if (!a) return '—';
          const w = at(a.tprWindowed, main);
          return `${r3(at(a.tpr, main)?.rate ?? NaN)}${w ? ` (w ${r3(w.rate)})` : ''}`;
        }),
      ];
    });
    p(table(head, rows));
    p();
    p(`![robustness](${dir}${charts.robustness[0]})`);
    p();
    // defence on/off
    const defended = ids.filter((id) => /^(none|homoglyph|zero-width|typo)/.test(id));
    if (defended.length > 0) {
      p(`### Normalisation as a defence (TPR at FPR ${fmtFpr(main)}, off → on)`);
      p();
      p(
        table(
          ['attack', ...r.schemes.map((s) => s.label)],
          defended.map((id) => [
            id,
            ...r.schemes.map((s) => {
              const a = r.attacks.find((x) => x.attack === id && x.scheme === s.id);
              return a ? `${r3(at(a.tpr, main)?.rate ?? NaN)} → ${r3(at(a.tprNormalized, main)?.rate ?? NaN)}` : '—';
            }),
          ]),
        ),
      );
      p();
      p(`![robustness with normalisation](${dir}${charts.robustness[1]})`);
      p();
    }
    // copy-paste
    const cp = ids.filter((id) => id.startsWith('copy-paste'));
    if (cp.length > 0) {
      p('### Copy-paste: whole-text vs windowed detection');
      p();
      p(`TPR at FPR ${fprList}, whole text → windowed (best window, Bonferroni-corrected over the windows scanned). Text ≈ ${c.copyPasteTokens} tokens.`);
      p();
      p(
        table(
          ['scheme', ...cp],
          r.schemes.map((s) => [
            s.label,
            ...cp.map((id) => {
              const a = r.attacks.find((x) => x.attack === id && x.scheme === s.id);
              return a ? `${cellRates(a.tpr, c.fprs)} → ${cellRates(a.tprWindowed ?? [], c.fprs)}` : '—';
            }),
          ]),
        ),
      );
      p();
      p(`The same two tests on whole human texts of the same length (the null of copy-paste detection; \`heldout\` split), k/n at FPR ${fprList} (ANTI: 95% interval above the FPR):`);
      p();
      p(
        table(
          ['scheme', 'texts', 'whole text', 'windowed'],
          r.copyPasteNull.map((n) => [label.get(n.scheme) ?? n.scheme, String(n.texts), nullCells(n.whole), nullCells(n.windowed)]),
        ),
      );
      p();
    }
  }

  // ---- speed ----
  p('## Speed (wall clock; varies between runs and machines)');
  p();
  p(`Generation with the reference LM (one thread per task; ${r.timing.workers} worker thread(s) shared the machine) and whole-text detection (tokenization included) of the ${Tmax}-token samples.`);
  p();
  const genRows = r.timing.generation.map((g) => [g.scheme === 'none' ? 'plain (no watermark)' : (label.get(g.scheme) ?? g.scheme), String(g.temperature), String(g.tokensPerSecond)]);
  p(table(['generation', 'temp.', 'tokens/s'], genRows));
  p();
  p(table(['detection', 'tokens', 'tokens/s'], r.timing.detection.map((d) => [label.get(d.scheme) ?? d.scheme, String(d.tokens), String(d.tokensPerSecond)])));
  p();
  p(`Phases (s): ${Object.entries(r.timing.phases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}.`);
  p();

  // ---- how to run ----
  p('## Running it');
  p();
  p('```sh');
  if (engines.length > 0) {
    p('tracemark bench --preset engines                  # engine watermarks next to tracemark\'s (≈ 8–9 min on 2 cores)');
    p('tracemark bench                                   # the default grid, with attacks (docs/BENCHMARKS.md)');
  } else {
    p('tracemark bench                                   # this report: the default grid (≈ 4–7 min on 2 cores)');
  }
  p('tracemark bench --quick --json                    # seconds: 2 schemes, T ≤ 100, a few attacks');
  p('tracemark bench --schemes kgw-g0.25-d2-h2-min,synthid-m30-h4 --lengths 50,100 --samples 1000 --seed 2 --out runs/x');
  p('tracemark bench --attacks typo:0.05,synonym:0.5,copy-paste:1x0.1 --paraphrase-url http://127.0.0.1:8000/v1 --paraphrase-model m');
  p('```');
  p();
  const engineDescriptors = engines.length > 0 ? '; engine schemes with their engines\' defaults: `vllm/gumbel`, `vllm/dual_key_gumbel`, `vllm/red_green`, `vllm/synthid`, `vllm/sbw`, `sglang/gumbel`, `hf/kgw`, `hf/synthid`, `synthid-text/synthid`' : '';
  p(`Scheme descriptors: \`kgw-g<γ>-d<δ>-h<h>-<left|min|self>\`, \`gumbel-h<h>-<mode>\`, \`synthid-m<layers>-h<h>-<mode>\`, \`unigram-g<γ>-d<δ>\`${engineDescriptors}. Attacks (\`--attacks\`, comma-separated \`name:param\`; \`default\`; \`none\`), each a pure function in \`packages/bench/src/attacks/\`:`);
  p();
  p(
    table(
      ['attack', 'parameter', 'in the default grid'],
      ATTACK_NAMES.map((n) => [
        `\`${n}\``,
        n === 'none' ? '—' : n === 'copy-paste' ? 'KxF: k spans making a share F of the tokens' : n === 'paraphrase' || n === 'translate' ? 'endpoint flags' : describeAttack(n).replace(/^.*\((.*)\)$/, 'rate: $1'),
        DEFAULT_ATTACKS.filter((d) => d.split(':')[0] === n).map((d) => d.split(':')[1] ?? '✓').join(', ') || (n === 'paraphrase' || n === 'translate' ? 'with --paraphrase-url' : '—'),
      ]),
      ['l', 'l', 'l'],
    ),
  );
  p();

  // ---- limits ----
  p('## Limits and what is not measured');
  p();
  p('- The model is an order-3 Kneser–Ney n-gram model, not an LLM: its text has high entropy per token, which makes every scheme easier to detect per token than on an instruction-tuned LLM, and its perplexity is not a measure of fluency. Absolute TPRs are not comparable with papers on LLaMA; differences between schemes and attacks are the point.');
  p('- LLM paraphrase and round-trip translation are pluggable (`--paraphrase-url`, `--paraphrase-model`, an OpenAI-compatible endpoint) and off by default: no such model ships with the project.');
  p(`- FPR levels below 1/n cannot be checked empirically with n null texts: at FPR 1e-5 the interval only bounds the rate (${r.data.humanNull.texts} human texts give an upper bound near ${sci(3.7 / Math.max(1, r.data.humanNull.texts))}). The detector's own calibration (docs/CALIBRATION.md) checks ≥ 10⁶ null tests.`);
  p('- Intervals treat texts as independent. For one key they are not quite: texts of one corpus share frequent (window, token) tuples, which get the same score in every text, so the number of false positives per key varies more than a binomial count (the p-values are exact over keys, not for each key). That is why a flagged null set is re-tested with fresh keys before anything is concluded. Samples also share prompts across schemes.');
  p();
  return out.join('\n');
}
