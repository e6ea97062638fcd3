/**
 * `tracemark bench`: the detection benchmark (orchestration).
 *
 * Protocol (docs/BENCHMARKS.md explains it for readers):
 *  - prompts: sentence starts from the corpora's `heldout` split (the reference LM
 *    trains on `train`); one prompt per sample index, shared by every scheme and
 *    temperature, with the same sampling seed per (temperature, index), so
 *    watermarked and plain samples are paired.
 *  - each sample is generated once to T_max tokens (end-of-text suppressed, see
 *    generate.ts) and its T-token prefixes are the T-token samples: generation is
 *    autoregressive, so a prefix of a longer sample is a shorter sample.
 *  - detection is on the decoded text (re-tokenized by the detector, as a real
 *    detector sees it), with the prompt's windows excluded. Reject iff the exact
 *    p-value ≤ FPR, for each FPR level; no threshold is fitted to data.
 *  - null sets: human text (`calibration` split, cut into T_max-token texts) and
 *    plain text of the same model, prompts and temperatures, with their empirical
 *    FPR and Clopper–Pearson interval. The plain samples are also the sanity row
 *    (no watermark: TPR must equal FPR within its interval).
 *  - size: tokens until p stays ≤ α up to T_max, and the share that ever reaches α.
 *  - quality: perplexity of the generated tokens under the unwatermarked reference
 *    model (temperature 1), watermarked vs plain, and distinct-2/3 of the tokens.
 *  - attacks on the attackLength-token prefix at attackTemperature, detection
 *    with and without text normalisation; copy-paste spans come from the full
 *    sample and go into human text (`heldout`) for ≈ copyPasteTokens tokens in
 *    all, scored whole-text and windowed (best window, Bonferroni-corrected).
 *
 * Everything is seeded (keys from the seed, sampling seeds, attack rngs); only
 * the `timing` object differs between runs.
 */
import { readFileSync } from 'node:fs';
import { corpusFingerprint } from '@tracemark/corpora';
import { attackId } from './attacks/index.js';
import { createPool, type Task } from './pool.js';
import { benchKeyOf, benchSpecOf } from './schemes.js';
import { nullSummary } from './metrics.js';
import { benchContext, copyPasteHosts, humanNull, prompts, tMax, type GenerateOutput, type ScoreOutput } from './tasks.js';
import type { BenchConfig, BenchResults, ConfigJson, FprRecheckRow, QualityRow } from './types.js';

export const RESULTS_FORMAT = 1;

/** Fresh keys for re-testing an anti-conservative null set. */
export const RECHECK_KEYS = 20;

export interface RunOptions {
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, rel] of [
    ['@tracemark/cli', '../../cli/package.json'],
    ['@tracemark/detector', '../../detector/package.json'],
    ['@tracemark/watermark', '../../watermark/package.json'],
    ['@tracemark/lm', '../../lm/package.json'],
    ['@tracemark/corpora', '../../corpora/package.json'],
  ] as const) {
    try {
      out[name] = (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

export function configJson(c: BenchConfig): ConfigJson {
  const { schemes, attacks, workers: _w, ...rest } = c;
  return { ...rest, schemes: schemes.map((s) => s.id), attacks: attacks.map(attackId) };
}

export async function runBench(c: BenchConfig, opts: RunOptions = {}): Promise<BenchResults> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let tp = t0;
  const phase = (name: string): void => {
    const now = performance.now();
    phases[name] = round((now - tp) / 1000, 3);
    tp = now;
  };
  if (!c.temperatures.includes(c.attackTemperature) && c.attacks.length > 0) {
    throw new Error(`the attack temperature ${c.attackTemperature} must be one of the temperatures (${c.temperatures.join(', ')})`);
  }
  const pool = createPool(c, c.workers);
  try {
    // main-thread data (also recomputed, identically, inside workers)
    const ctx = benchContext();
    const nPrompts = prompts(c).length;
    const nNull = humanNull(c).length;
    const nHosts = copyPasteHosts(c).length;
    phase('setup');
    log(`model ${ctx.modelInfo.id}; ${nPrompts} prompts, ${nNull} human null texts; ${c.workers} worker thread(s)`);

    // 1. generation: plain and each scheme, per temperature (slow temperatures first: better packing)
    const genTasks: Task[] = [];
    const temps = [...c.temperatures].sort((a, b) => a - b);
    for (const temperature of temps) {
      genTasks.push({ kind: 'generate', args: { scheme: -1, temperature } });
      c.schemes.forEach((_, scheme) => genTasks.push({ kind: 'generate', args: { scheme, temperature } }));
    }
    const gens = await pool.run<GenerateOutput>(genTasks, (i) => {
      const g = genTasks[i]!.args as { scheme: number; temperature: number };
      log(`generated ${g.scheme < 0 ? 'plain text' : c.schemes[g.scheme]!.id} at temperature ${g.temperature}`);
    });
    const gen = (scheme: number, temperature: number): GenerateOutput => gens.find((g) => g.scheme === scheme && g.temperature === temperature)!;
    phase('generation');

    // quality
    const quality: QualityRow[] = [];
    for (const temperature of c.temperatures) {
      const base = gen(-1, temperature);
      const row = (scheme: string, g: GenerateOutput, ratioTo?: number): QualityRow => {
        const ppl = Math.exp(g.quality.nll / Math.max(1, g.quality.tokens));
        return {
          scheme,
          temperature,
          samples: g.samples.length,
          tokens: g.quality.tokens,
          perplexity: round(ppl, 2),
          perplexityRatio: ratioTo ? round(ppl / ratioTo) : 1,
          distinct2: round(g.quality.distinct2),
          distinct3: round(g.quality.distinct3),
        };
      };
      const basePpl = Math.exp(base.quality.nll / Math.max(1, base.quality.tokens));
      quality.push(row('none', base));
      c.schemes.forEach((s, i) => quality.push(row(s.id, gen(i, temperature), basePpl)));
    }

    // 2. scoring, per scheme
    const plain = c.temperatures.map((t) => gen(-1, t).samples);
    const scoreTasks: Task[] = c.schemes.map((_, scheme) => ({
      kind: 'score',
      args: { scheme, marked: c.temperatures.map((t) => gen(scheme, t).samples), plain },
    }));
    const scores = await pool.run<ScoreOutput>(scoreTasks, (i) => log(`scored ${c.schemes[i]!.id}`));
    phase('detection');

    // 3. null sets with an anti-conservative cell: the same texts with fresh keys
    const fprRows = scores.flatMap((s) => s.fpr);
    const cpNull = scores.flatMap((s) => s.copyPasteNull);
    const anti = (rows: { verdict: string }[]): boolean => rows.some((x) => x.verdict === 'anti-conservative');
    const flagged = [
      ...new Set([
        ...fprRows.filter((f) => anti(f.rows)).map((f) => `${f.scheme}\u0000${f.nullSet}`),
        ...cpNull.flatMap((n) => [...(anti(n.whole) ? [`${n.scheme}\u0000hosts/whole`] : []), ...(anti(n.windowed) ? [`${n.scheme}\u0000hosts/windowed`] : [])]),
      ]),
    ];
    const recheckTasks: Task[] = flagged.map((k) => {
      const [schemeId, nullSet] = k.split('\u0000') as [string, string];
      const scheme = c.schemes.findIndex((s) => s.id === schemeId);
      const temp = nullSet.startsWith('model@') ? Number(nullSet.slice(6)) : undefined;
      return { kind: 'recheck', args: { scheme, nullSet, keys: RECHECK_KEYS, ...(temp !== undefined ? { plain: gen(-1, temp).samples } : {}) } };
    });
    const fprRecheck = await pool.run<FprRecheckRow>(recheckTasks, (i) => log(`re-checked ${flagged[i]!.replace('\u0000', ' ')} with ${RECHECK_KEYS} fresh keys`));
    phase('recheck');
    const sanityRows = scores.flatMap((s) => s.sanity);
    const sanityCells = sanityRows.flatMap((d) => d.tpr);
    const fprCells = fprRows.flatMap((f) => f.rows);
    const cpCells = cpNull.flatMap((n) => [...n.whole, ...n.windowed]);

    const results: BenchResults = {
      tool: 'tracemark bench',
      format: RESULTS_FORMAT,
      config: configJson(c),
      environment: {
        node: process.version,
        packages: packageVersions(),
        model: { ...ctx.modelInfo, endOfText: 'suppressed (removed from candidates, rejected from the rest)' },
        tokenizer: 'o200k_base',
        corpusFingerprint: corpusFingerprint(),
        normalization: 'bench/normalize.ts: NFKC; strip format characters (Cf) and U+034F; Cyrillic/Greek lookalikes → Latin in Latin contexts',
      },
      schemes: c.schemes.map((s) => {
        const key = benchKeyOf(c.seed, s);
        return { id: s.id, label: s.label, keyFingerprint: key.fingerprint, spec: benchSpecOf(s, key) };
      }),
      data: {
        prompts: { split: 'heldout', count: nPrompts },
        humanNull: { split: 'calibration', texts: nNull, tokens: tMax(c) },
        copyPasteHosts: { split: 'heldout', texts: nHosts, tokens: c.copyPasteTokens },
      },
      detection: scores.flatMap((s) => s.detection),
      sanity: sanityRows,
      fpr: fprRows,
      size: scores.flatMap((s) => s.size),
      quality,
      attacks: scores.flatMap((s) => s.attacks),
      copyPasteNull: cpNull,
      fprRecheck,
      ...(scores.some((s) => s.engineOwn.length > 0) ? { engineOwn: scores.flatMap((s) => s.engineOwn) } : {}),
      nullSummary: {
        sanity: nullSummary(sanityCells, sanityCells.map((x) => x.fpr)),
        fpr: nullSummary(fprCells, fprCells.map((x) => x.fpr)),
        copyPaste: nullSummary(cpCells, cpCells.map((x) => x.fpr)),
      },
      timing: {
        totalSeconds: 0,
        workers: c.workers,
        phases,
        generation: gens.map((g) => ({ scheme: g.scheme < 0 ? 'none' : c.schemes[g.scheme]!.id, temperature: g.temperature, tokens: g.quality.tokens, tokensPerSecond: g.timing.tokensPerSecond })),
        detection: scores.map((s) => ({ scheme: c.schemes[s.scheme]!.id, tokens: s.timing.detectTokens, tokensPerSecond: s.timing.tokensPerSecond })),
      },
    };
    results.timing.totalSeconds = round((performance.now() - t0) / 1000, 2);
    return results;
  } finally {
    await pool.close();
  }
}
