/**
 * `tracemark radioactivity`: is a suspect a clone of our watermarked model? The
 * closed-model test over a probe transcript (prompt windows excluded, global dedup,
 * exact pooled p-value, Fisher over prompt families) with negative controls (decoy keys,
 * a control model's transcript), unfiltered and with the supervised (ledger) and/or the
 * built-in unsupervised filter. With several variants the verdict is Bonferroni-corrected
 * over them (the variants are chosen before looking at the scores).
 */
import type { Command } from 'commander';
import { alphaFlag, collect, intFlag, numFlag } from '../io/args.js';
import { loadAnyKey, loadAnySpec, usage } from '@tracemark/detector';
import { fmtLog10, printJson, println, progress, warn } from '../io/output.js';
import { decoyKeys, newDecoySeed } from '@tracemark/evidence';
import { investigateRadioactivity, listFlag, RADIOACTIVITY_VARIANTS, type RadioactivityReport, type RadioactivityVariant } from '@tracemark/investigate';

export interface RadioactivityFlags {
  spec: string;
  key: string;
  transcript: string;
  control?: string;
  filter?: string[];
  unsupervised?: boolean;
  teacher: string;
  teacherResponses: string;
  teacherMaxTokens: string;
  teacherTemperature: string;
  teacherSeed: string;
  decoys: string;
  decoySeed?: string;
  families?: string;
  familyMap?: string;
  variants?: string;
  alpha?: string;
  json?: boolean;
}

export type { VariantResult } from '@tracemark/investigate';
export type RadioactivityOutput = { command: 'radioactivity' } & RadioactivityReport;

function variantsOf(f: RadioactivityFlags): RadioactivityVariant[] {
  const wanted = new Set(f.variants !== undefined ? listFlag('variants', f.variants) : ['unfiltered', ...(f.filter?.length ? ['supervised'] : [])]);
  for (const v of wanted) if (!(RADIOACTIVITY_VARIANTS as readonly string[]).includes(v)) throw usage(`--variants: unknown variant ${JSON.stringify(v)} (unfiltered, supervised, unsupervised)`);
  if (f.unsupervised) wanted.add('unsupervised');
  return RADIOACTIVITY_VARIANTS.filter((v) => wanted.has(v));
}

export async function runRadioactivity(f: RadioactivityFlags): Promise<RadioactivityOutput> {
  const alpha = alphaFlag(f.alpha);
  const nDecoys = intFlag('decoys', f.decoys, 0, 1000);
  if (f.decoySeed !== undefined && !/^[0-9a-f]{64}$/.test(f.decoySeed)) throw usage('--decoy-seed must be 64 lowercase hex characters');
  if (f.families !== undefined && f.familyMap !== undefined) throw usage('give --families or --family-map, not both');
  const families = f.families !== undefined ? intFlag('families', f.families, 2, 1000) : undefined;
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  const variants = variantsOf(f);
  const teacher = variants.includes('unsupervised')
    ? {
        model: f.teacher,
        responsesPerPrompt: intFlag('teacher-responses', f.teacherResponses, 1, 100),
        maxTokens: intFlag('teacher-max-tokens', f.teacherMaxTokens, 1, 1 << 16),
        temperature: numFlag('teacher-temperature', f.teacherTemperature, (n) => n > 0 && n <= 2, 'a number in (0, 2]'),
        seed: intFlag('teacher-seed', f.teacherSeed, 0, 2 ** 31 - 1),
      }
    : undefined;
  const decoySeed = f.decoySeed ?? newDecoySeed();
  const bar = progress('radioactivity');
  const r = await investigateRadioactivity({
    spec,
    key,
    transcript: f.transcript,
    ...(f.control !== undefined ? { control: f.control } : {}),
    variants,
    ...(f.filter?.length ? { filters: f.filter } : {}),
    ...(teacher ? { teacher } : {}),
    decoyKeys: decoyKeys(decoySeed, nDecoys, key, spec),
    decoySeed,
    ...(families !== undefined ? { families } : {}),
    ...(f.familyMap !== undefined ? { familyMap: f.familyMap } : {}),
    alpha,
    warn,
    onProgress: (done, total) => bar.update(done, total),
  }).finally(() => bar.done());
  return { command: 'radioactivity', ...r };
}

const fmt = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '—' : x.toFixed(d));

export function printRadioactivity(r: RadioactivityReport): void {
  println(`suspect ${r.transcript}: ${r.responses} responses${r.control ? `; control ${r.control}` : ''}; ${r.decoys.k} decoy keys; α = ${r.alpha.toExponential()}`);
  println('');
  println(`${'variant'.padEnd(13)} ${'scored'.padStart(9)} ${'log10 p'.padStart(9)} ${r.families ? `${`Fisher(${r.families.k})`.padStart(10)} ` : ''}${'decoys med/min'.padStart(15)} ${'KS p'.padStart(7)} ${'control'.padStart(8)}`);
  for (const v of r.variants) {
    const s = v.suspect;
    println(
      `${v.variant.padEnd(13)} ${String(s.pooled.scored).padStart(9)} ${fmt(s.pooled.log10P).padStart(9)} ${r.families ? `${fmt(s.families?.fisherLog10P).padStart(10)} ` : ''}${`${fmt(s.decoys.medianLog10P, 2)}/${fmt(s.decoys.minLog10P, 2)}`.padStart(15)} ${s.decoys.ks ? s.decoys.ks.pValue.toFixed(3).padStart(7) : '—'.padStart(7)} ${fmt(v.control?.pooled.log10P).padStart(8)}`,
    );
  }
  for (const v of r.variants) if (v.filterDescription) println(`  ${v.variant}: ${v.filterDescription}`);
  println('');
  const corr = r.variants.length > 1 ? ` (smallest of ${r.variants.length} variants, Bonferroni-corrected)` : '';
  println(`verdict: ${r.verdict === 'detected' ? 'RADIOACTIVE' : 'not detected'} — p = ${fmtLog10(r.combinedLog10P)}${corr}`);
  println(r.controlsOk ? 'negative controls: passed (decoys null and uniform; control not significant)' : `negative controls FAILED:\n  ${r.warnings.join('\n  ')}`);
}

export function registerRadioactivity(program: Command): void {
  program
    .command('radioactivity')
    .description('closed-model radioactivity test of a probe transcript: filters, prompt families, decoy keys, control model')
    .requiredOption('--spec <file>', 'watermark spec (JSON; an engine spec too: unfiltered and supervised tests)')
    .requiredOption('--key <file>', 'watermark key file (an engine key file for an engine spec)')
    .requiredOption('--transcript <file>', "the suspect's probe transcript (or {id, prompt, text} JSONL)")
    .option('--control <file>', 'a control model’s transcript (known innocent, same prompts): must not be significant')
    .option('--filter <file>', 'supervised filter: ledger windows sent to given accounts (tracemark ledger export-filter; repeatable = union)', collect)
    .option('--unsupervised', 'also run the built-in unsupervised filter (windows of fresh watermarked generations of --teacher on the probe prompts)')
    .option('--teacher <model>', 'the provider’s model for the unsupervised filter: builtin or an ONNX model directory', 'builtin')
    .option('--teacher-responses <n>', 'unsupervised filter: responses per prompt', '1')
    .option('--teacher-max-tokens <n>', 'unsupervised filter: tokens per response', '128')
    .option('--teacher-temperature <t>', 'unsupervised filter: sampling temperature', '1')
    .option('--teacher-seed <n>', 'unsupervised filter: sampling seed', '1')
    .option('--variants <list>', 'which tests to run: unfiltered,supervised,unsupervised (default: unfiltered + every filter given)')
    .option('--decoys <k>', 'decoy keys scored on the same positions (their p-values must look uniform)', '20')
    .option('--decoy-seed <hex>', 'public seed of the decoy keys (64 hex; default random, recorded in the output)')
    .option('--families <k>', 'split the prompts into k families by hashing their ids; Fisher-combine the disjoint sub-tests')
    .option('--family-map <file>', 'JSONL {"id", "family"}: explicit prompt families (instead of --families)')
    .option('--alpha <a>', 'significance level of the verdict', '1e-6')
    .option('--json', 'machine-readable output')
    .action(async (f: RadioactivityFlags) => {
      const r = await runRadioactivity(f);
      if (f.json) printJson(r);
      else printRadioactivity(r);
    });
}
