/**
 * `tracemark bench`: the detection benchmark — TPR at fixed FPR from exact
 * p-values across schemes, lengths and temperatures; empirical FPR on human and
 * model null sets; size; quality proxies; speed; robustness to attacks. Writes
 * results.json, report.md and SVG charts to --out (see src/bench/run.ts for the
 * protocol and docs/BENCHMARKS.md for the committed default run).
 */
import type { Command } from 'commander';
import { BENCH_LIMITS, benchCommandLine, benchConfig, FULL, PRESETS, QUICK, runBench, writeBenchOutputs, type BenchOptions, type ListRule, type PresetName } from '@tracemark/bench';
import type { BenchConfig, BenchResults } from '@tracemark/bench';
import { intFlag, numFlag } from '../io/args.js';
import { failure, usage } from '@tracemark/detector';
import { eprintln, printJson, println } from '../io/output.js';

export interface BenchFlags {
  quick?: boolean;
  preset?: string;
  schemes?: string;
  lengths?: string;
  temperatures?: string;
  samples?: string;
  nullSamples?: string;
  attacks?: string;
  fpr?: string;
  attackLength?: string;
  attackTemperature?: string;
  copyPasteTokens?: string;
  seed?: string;
  out?: string;
  markdown?: string;
  workers?: string;
  paraphraseUrl?: string;
  paraphraseModel?: string;
  json?: boolean;
  quiet?: boolean;
}

/** "a,b,c" → numbers, each checked against the library's rule for the setting. */
function numList(v: string | undefined, rule: ListRule): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n) || !rule.ok(n)) throw usage(`--${rule.flag}: ${JSON.stringify(s)} is not ${rule.describe}`);
    return n;
  });
}

function intOption(v: string | undefined, limit: { flag: string; min: number; max: number }): number | undefined {
  return v === undefined ? undefined : intFlag(limit.flag, v, limit.min, limit.max);
}

/** --preset (checked; --quick is --preset quick, and the two must agree). */
function presetOf(f: BenchFlags): PresetName | undefined {
  if (f.preset === undefined) return undefined;
  const names = Object.keys(PRESETS);
  if (!names.includes(f.preset)) throw usage(`--preset must be one of ${names.join(', ')} (got ${JSON.stringify(f.preset)})`);
  if (f.quick && f.preset !== 'quick') throw usage(`--quick and --preset ${f.preset} disagree: give one`);
  return f.preset as PresetName;
}

/** The string flags → the library's typed options (syntax and ranges checked here, with the flag's name). */
export function benchOptions(f: BenchFlags): BenchOptions {
  const L = BENCH_LIMITS;
  const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(','));
  const lengths = numList(f.lengths, L.lengths);
  const temperatures = numList(f.temperatures, L.temperatures);
  const fprs = numList(f.fpr, L.fprs);
  const preset = presetOf(f);
  const temps = temperatures ?? (preset !== undefined ? PRESETS[preset] : f.quick ? QUICK : FULL).temperatures;
  const attackTemperature = f.attackTemperature === undefined ? undefined : numFlag('attack-temperature', f.attackTemperature, (n) => temps.includes(n), `one of --temperatures (${[...new Set(temps)].join(', ')})`);
  if ((f.paraphraseUrl !== undefined || f.paraphraseModel !== undefined) && (!f.paraphraseUrl || !f.paraphraseModel)) {
    throw usage('--paraphrase-url and --paraphrase-model go together');
  }
  const o: BenchOptions = {
    ...(f.quick ? { quick: true } : {}),
    ...(preset !== undefined ? { preset } : {}),
    ...(lengths ? { lengths } : {}),
    ...(temperatures ? { temperatures } : {}),
    ...(fprs ? { fprs } : {}),
    ...(attackTemperature !== undefined ? { attackTemperature } : {}),
    ...(f.paraphraseUrl && f.paraphraseModel ? { paraphrase: { url: f.paraphraseUrl, model: f.paraphraseModel } } : {}),
    ...(f.attacks !== undefined ? { attacks: list(f.attacks)! } : {}),
    ...(f.schemes !== undefined ? { schemes: list(f.schemes)! } : {}),
  };
  const ints = { samples: f.samples, seed: f.seed, nullSamples: f.nullSamples, attackLength: f.attackLength, copyPasteTokens: f.copyPasteTokens, workers: f.workers } as const;
  for (const [name, v] of Object.entries(ints) as [keyof typeof ints, string | undefined][]) {
    const n = intOption(v, L[name]);
    if (n !== undefined) o[name] = n;
  }
  return o;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('detection benchmark: TPR at FPR from exact p-values, null-set FPR, size, quality, speed, attacks')
    .option('--quick', 'a small grid (2 schemes, T ≤ 100, 12 samples, 7 attacks): seconds, for smoke tests')
    .option('--preset <name>', `start from a preset: full (default), quick, or engines (engine watermarks — vLLM, SGLang, HF — next to tracemark's: docs/BENCH-ENGINES.md)`)
    .option('--schemes <list>', `comma-separated scheme descriptors, e.g. kgw-g0.25-d2-h1-left,gumbel-h1,synthid-m30-h1,unigram-g0.25-d2, or engine schemes vllm/gumbel,sglang/gumbel,hf/kgw,… (default: ${FULL.schemes.length} schemes)`)
    .option('--lengths <list>', `generation lengths T (default ${FULL.lengths.join(',')})`)
    .option('--temperatures <list>', `sampling temperatures (default ${FULL.temperatures.join(',')})`)
    .option('--samples <n>', `watermarked samples per scheme and temperature (default ${FULL.samples})`)
    .option('--null-samples <n>', `human null texts, at most (default ${FULL.nullSamples})`)
    .option('--fpr <list>', 'false-positive rates: reject iff p ≤ FPR (default 1e-2,1e-3,1e-5)')
    .option('--attacks <list>', 'attacks name[:param], comma-separated; default, none, or e.g. typo:0.05,synonym:0.5,copy-paste:1x0.1')
    .option('--attack-length <n>', `tokens of the text attacked (default ${FULL.attackLength})`)
    .option('--attack-temperature <t>', 'temperature of the attacked samples (default 1)')
    .option('--copy-paste-tokens <n>', `total tokens of a copy-paste text (default ${FULL.copyPasteTokens})`)
    .option('--paraphrase-url <url>', 'OpenAI-compatible API base URL for LLM paraphrase/translation attacks (key: $TRACEMARK_PARAPHRASE_API_KEY)')
    .option('--paraphrase-model <name>', 'model name for --paraphrase-url')
    .option('--seed <n>', 'seed of keys, sampling and attacks (default 1): same seed, same numbers')
    .option('--workers <n>', `worker threads (default ${FULL.workers}; --quick 0); results do not depend on it`)
    .option('--out <dir>', 'results directory (default bench-results)')
    .option('--markdown <file>', 'also write the Markdown report here (chart links relative to it), e.g. docs/BENCHMARKS.md')
    .option('--json', 'print the full results JSON on stdout')
    .option('--quiet', 'no progress lines on stderr')
    .addHelpText(
      'after',
      `
Every number but the timing fields is a function of the seed. Writes <out>/results.json,
<out>/report.md and <out>/*.svg. Exit code 0 when the run completes (findings such as an
anti-conservative null FPR are reported, not turned into errors).`,
    )
    .action(async (f: BenchFlags) => {
      const config: BenchConfig = benchConfig(benchOptions(f));
      const out = f.out ?? 'bench-results';
      const log = f.quiet ? undefined : (line: string) => eprintln(`bench: ${line}`);
      let r: BenchResults;
      try {
        r = await runBench(config, log ? { log } : {});
      } catch (e) {
        if ((e as { exitCode?: number }).exitCode !== undefined) throw e;
        throw failure(`bench: ${(e as Error).message}`);
      }
      const written = writeBenchOutputs(r, out, f.markdown, benchCommandLine(f));
      if (f.json) return printJson({ command: 'bench', ...r });
      println(`tracemark bench: ${r.schemes.length} schemes × ${config.temperatures.length} temperatures × ${config.samples} samples, ${r.attacks.length} attack rows, ${r.timing.totalSeconds.toFixed(0)} s`);
      const main = config.fprs.includes(1e-3) ? 1e-3 : config.fprs[0]!;
      const T = config.lengths.includes(100) ? 100 : config.lengths[config.lengths.length - 1]!;
      for (const d of r.detection.filter((x) => x.length === T)) {
        println(`  ${d.scheme} @ ${d.temperature}: TPR at FPR ${main}, T = ${T}: ${(d.tpr.find((x) => x.fpr === main)?.rate ?? NaN).toFixed(3)}`);
      }
      println(`wrote ${written.length} files to ${out}${f.markdown ? ` and ${f.markdown}` : ''}`);
    });
}
