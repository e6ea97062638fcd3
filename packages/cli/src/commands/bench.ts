/**
 * `tracemark bench`: the detection benchmark — TPR at fixed FPR from exact
 * p-values across schemes, lengths and temperatures; empirical FPR on human and
 * model null sets; size; quality proxies; speed; robustness to attacks. Writes
 * results.json, report.md and SVG charts to --out (see src/bench/run.ts for the
 * protocol and docs/BENCHMARKS.md for the committed default run).
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { AttackError, parseAttackList, type AttackConfig } from '@tracemark/bench';
import { chatUrl } from '@tracemark/bench';
import { allCharts } from '@tracemark/bench';
import { renderMarkdown } from '@tracemark/bench';
import { runBench } from '@tracemark/bench';
import { parseSchemeList } from '@tracemark/bench';
import type { BenchConfig, BenchResults } from '@tracemark/bench';
import { intFlag, numFlag } from '../io/args.js';
import { failure, usage } from '@tracemark/detector';
import { writeFileAtomic } from '@tracemark/detector';
import { jsonReplacer, printJson, println } from '../io/output.js';

export interface BenchFlags {
  quick?: boolean;
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

export const QUICK = {
  schemes: 'kgw-g0.25-d2-h1-left,gumbel-h1-left',
  lengths: '25,50,100',
  temperatures: '1',
  samples: 12,
  nullSamples: 120,
  attacks: 'none,typo:0.1,delete:0.3,synonym:0.5,copy-paste:1x0.1,homoglyph:0.25,zero-width:0.25',
  attackLength: 100,
  copyPasteTokens: 400,
  workers: 0,
};

export const FULL = {
  schemes: 'kgw-g0.25-d2-h1-left,kgw-g0.25-d1-h1-left,kgw-g0.5-d2-h1-left,kgw-g0.25-d2-h4-min,kgw-g0.25-d2-h4-self,gumbel-h1-left,gumbel-h4-left,synthid-m30-h1-left,unigram-g0.25-d2',
  lengths: '25,50,100,200,400',
  temperatures: '0.7,1',
  samples: 200,
  nullSamples: 2000,
  attacks: 'default',
  attackLength: 200,
  copyPasteTokens: 800,
  workers: Math.min(2, availableParallelism()),
};

function numList(name: string, v: string, check: (n: number) => boolean, describe: string): number[] {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw usage(`--${name} must be a comma-separated list of ${describe}`);
  const out = parts.map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n) || !check(n)) throw usage(`--${name}: ${JSON.stringify(s)} is not ${describe}`);
    return n;
  });
  return [...new Set(out)];
}

export function benchConfig(f: BenchFlags): BenchConfig {
  const d = f.quick ? QUICK : FULL;
  const lengths = numList('lengths', f.lengths ?? d.lengths, (n) => Number.isInteger(n) && n >= 1 && n <= 4096, 'integers in [1, 4096]').sort((a, b) => a - b);
  const temperatures = numList('temperatures', f.temperatures ?? d.temperatures, (n) => n > 0 && n <= 5, 'temperatures in (0, 5]');
  const fprs = numList('fpr', f.fpr ?? '1e-2,1e-3,1e-5', (n) => n > 0 && n < 1, 'rates in (0, 1)').sort((a, b) => b - a);
  const attackTemperature = numFlag('attack-temperature', f.attackTemperature, (n) => temperatures.includes(n), `one of --temperatures (${temperatures.join(', ')})`, temperatures.includes(1) ? 1 : temperatures[temperatures.length - 1]!);
  let paraphrase: BenchConfig['paraphrase'];
  if (f.paraphraseUrl !== undefined || f.paraphraseModel !== undefined) {
    if (!f.paraphraseUrl || !f.paraphraseModel) throw usage('--paraphrase-url and --paraphrase-model go together');
    try {
      chatUrl(f.paraphraseUrl);
    } catch (e) {
      throw usage((e as Error).message);
    }
    paraphrase = { url: f.paraphraseUrl, model: f.paraphraseModel };
  }
  let attacks: AttackConfig[];
  try {
    const extra: AttackConfig[] = paraphrase ? [{ name: 'paraphrase' }, { name: 'translate' }] : [];
    attacks = (f.attacks ?? d.attacks).trim() === 'none' ? [] : parseAttackList(f.attacks ?? d.attacks, extra);
  } catch (e) {
    if (e instanceof AttackError) throw usage(`--attacks: ${e.message}`);
    throw e;
  }
  if (!paraphrase && attacks.some((a) => a.name === 'paraphrase' || a.name === 'translate')) {
    throw usage('the paraphrase and translate attacks need --paraphrase-url and --paraphrase-model');
  }
  const samples = intFlag('samples', f.samples, 1, 100_000, d.samples);
  return {
    seed: intFlag('seed', f.seed, 0, 2 ** 31 - 1, 1),
    schemes: parseSchemeList(f.schemes ?? d.schemes),
    lengths,
    temperatures,
    samples,
    nullSamples: intFlag('null-samples', f.nullSamples, 1, 1_000_000, d.nullSamples),
    fprs,
    attacks,
    attackLength: intFlag('attack-length', f.attackLength, 8, 4096, d.attackLength),
    attackTemperature,
    copyPasteTokens: intFlag('copy-paste-tokens', f.copyPasteTokens, 64, 100_000, d.copyPasteTokens),
    ...(paraphrase ? { paraphrase } : {}),
    workers: intFlag('workers', f.workers, 0, 64, d.workers),
    quick: f.quick === true,
  };
}

/** Write results.json, report.md and the charts to `out` (atomically, file by file). */
export function writeOutputs(r: BenchResults, out: string, markdown?: string, command?: string): string[] {
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw usage(`cannot create output directory ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const written: string[] = [];
  const put = (path: string, content: string): void => {
    writeFileAtomic(path, content);
    written.push(path);
  };
  put(join(out, 'results.json'), `${JSON.stringify(r, jsonReplacer, 2)}\n`);
  for (const [name, svg] of allCharts(r)) put(join(out, name), `${svg}\n`);
  put(join(out, 'report.md'), renderMarkdown(r, { ...(command ? { command } : {}) }));
  if (markdown) {
    let rel = relative(dirname(resolve(markdown)), resolve(out)).split(sep).join('/');
    if (rel !== '') rel += '/';
    put(markdown, renderMarkdown(r, { chartDir: rel, ...(command ? { command } : {}) }));
  }
  return written;
}

/** The command line that reproduces a configuration (flags that differ from the defaults). */
export function commandLine(f: BenchFlags): string {
  const parts = ['tracemark bench'];
  const add = (flag: string, v: string | undefined): void => {
    if (v !== undefined) parts.push(`--${flag} ${/[\s,;]/.test(v) && v.includes(' ') ? JSON.stringify(v) : v}`);
  };
  if (f.quick) parts.push('--quick');
  add('seed', f.seed ?? '1');
  add('schemes', f.schemes);
  add('lengths', f.lengths);
  add('temperatures', f.temperatures);
  add('samples', f.samples);
  add('null-samples', f.nullSamples);
  add('fpr', f.fpr);
  add('attacks', f.attacks);
  add('attack-length', f.attackLength);
  add('attack-temperature', f.attackTemperature);
  add('copy-paste-tokens', f.copyPasteTokens);
  add('paraphrase-url', f.paraphraseUrl);
  add('paraphrase-model', f.paraphraseModel);
  add('out', f.out);
  add('markdown', f.markdown);
  return parts.join(' ');
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('detection benchmark: TPR at FPR from exact p-values, null-set FPR, size, quality, speed, attacks')
    .option('--quick', 'a small grid (2 schemes, T ≤ 100, 12 samples, 7 attacks): seconds, for smoke tests')
    .option('--schemes <list>', `comma-separated scheme descriptors, e.g. kgw-g0.25-d2-h1-left,gumbel-h1,synthid-m30-h1,unigram-g0.25-d2 (default: ${FULL.schemes.split(',').length} schemes)`)
    .option('--lengths <list>', `generation lengths T (default ${FULL.lengths})`)
    .option('--temperatures <list>', `sampling temperatures (default ${FULL.temperatures})`)
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
      const config = benchConfig(f);
      const out = f.out ?? 'bench-results';
      const log = f.quiet ? undefined : (line: string) => process.stderr.write(`bench: ${line}\n`);
      let r: BenchResults;
      try {
        r = await runBench(config, log ? { log } : {});
      } catch (e) {
        if ((e as { exitCode?: number }).exitCode !== undefined) throw e;
        throw failure(`bench: ${(e as Error).message}`);
      }
      const written = writeOutputs(r, out, f.markdown, commandLine(f));
      if (f.json) return printJson(r);
      println(`tracemark bench: ${r.schemes.length} schemes × ${config.temperatures.length} temperatures × ${config.samples} samples, ${r.attacks.length} attack rows, ${r.timing.totalSeconds.toFixed(0)} s`);
      const main = config.fprs.includes(1e-3) ? 1e-3 : config.fprs[0]!;
      const T = config.lengths.includes(100) ? 100 : config.lengths[config.lengths.length - 1]!;
      for (const d of r.detection.filter((x) => x.length === T)) {
        println(`  ${d.scheme} @ ${d.temperature}: TPR at FPR ${main}, T = ${T}: ${(d.tpr.find((x) => x.fpr === main)?.rate ?? NaN).toFixed(3)}`);
      }
      println(`wrote ${written.length} files to ${out}${f.markdown ? ` and ${f.markdown}` : ''}`);
    });
}
