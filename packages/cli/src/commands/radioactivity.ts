/**
 * `tracemark radioactivity`: is a suspect a clone of our watermarked model? The
 * closed-model test over a probe transcript (prompt windows excluded, global dedup,
 * exact pooled p-value, Fisher over prompt families) with negative controls (decoy keys,
 * a control model's transcript), unfiltered and with the supervised (ledger) and/or the
 * built-in unsupervised filter. With several variants the verdict is Bonferroni-corrected
 * over them (the variants are chosen before looking at the scores).
 */
import type { Command } from 'commander';
import { lnToLog10, radioactivityTest, type RadioactivityResult, type WindowSet } from '@tracemark/detector';
import type { WatermarkKey } from '@tracemark/watermark';
import { alphaFlag, collect, intFlag, numFlag } from '../io/args.js';
import { usage } from '@tracemark/detector';
import { loadKey, loadSpec } from '@tracemark/detector';
import { fmtLog10, printJson, println } from '../io/output.js';
import { decoyKey, newDecoySeed } from '@tracemark/evidence';
import { listFlag, loadEvidence, loadFamilyMap, loadSpecFilter, specTokenizer, unionFilter, unsupervisedFilter } from '@tracemark/investigate';

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

export interface VariantResult extends RadioactivityResult {
  variant: 'unfiltered' | 'supervised' | 'unsupervised';
  filterDescription: string | null;
}

export interface RadioactivityOutput {
  command: 'radioactivity';
  alpha: number;
  transcript: string;
  control: string | null;
  responses: number;
  families: { k: number; source: 'hash' | 'map'; labels?: string[] } | null;
  decoys: { k: number; seed: string };
  variants: VariantResult[];
  /** min over variants of the pooled ln p, times the number of variants (Bonferroni). */
  combinedLnP: number;
  combinedLog10P: number;
  verdict: 'radioactive' | 'not-detected';
  controlsOk: boolean;
  warnings: string[];
}

export async function runRadioactivity(f: RadioactivityFlags): Promise<RadioactivityOutput> {
  const alpha = alphaFlag(f.alpha);
  const nDecoys = intFlag('decoys', f.decoys, 0, 1000);
  if (f.decoySeed !== undefined && !/^[0-9a-f]{64}$/.test(f.decoySeed)) throw usage('--decoy-seed must be 64 lowercase hex characters');
  if (f.families !== undefined && f.familyMap !== undefined) throw usage('give --families or --family-map, not both');
  const k = f.families !== undefined ? intFlag('families', f.families, 2, 1000) : 0;
  const spec = loadSpec(f.spec);
  const key = loadKey(f.key, spec);
  const fam = f.familyMap !== undefined ? loadFamilyMap(f.familyMap) : undefined;
  const tokenizer = specTokenizer(spec);
  try {
    const suspect = loadEvidence(f.transcript, tokenizer, fam?.map);
    const control = f.control !== undefined ? loadEvidence(f.control, tokenizer, fam?.map) : undefined;
    const decoySeed = f.decoySeed ?? newDecoySeed();
    const decoyKeys: WatermarkKey[] = [];
    for (let i = 0; decoyKeys.length < nDecoys; i++) {
      const d = decoyKey(decoySeed, i);
      if (d.fingerprint !== key.fingerprint) decoyKeys.push(d);
    }
    const wanted = new Set(f.variants !== undefined ? listFlag('variants', f.variants) : ['unfiltered', ...(f.filter?.length ? ['supervised'] : []), ...(f.unsupervised ? ['unsupervised'] : [])]);
    for (const v of wanted) if (!['unfiltered', 'supervised', 'unsupervised'].includes(v)) throw usage(`--variants: unknown variant ${JSON.stringify(v)} (unfiltered, supervised, unsupervised)`);
    if (wanted.has('supervised') && !f.filter?.length) throw usage('the supervised variant needs --filter <file> (tracemark ledger export-filter)');
    const filters: { variant: VariantResult['variant']; filter?: WindowSet; description: string | null }[] = [];
    if (wanted.has('unfiltered')) filters.push({ variant: 'unfiltered', description: null });
    if (wanted.has('supervised')) {
      const fs = f.filter!.map((p) => loadSpecFilter(p, spec));
      const accounts = [...new Set(fs.flatMap((x) => x.header.accounts))];
      filters.push({ variant: 'supervised', filter: unionFilter(fs), description: `ledger windows sent to ${accounts.length} account(s): ${accounts.slice(0, 5).join(', ')}${accounts.length > 5 ? ', …' : ''}` });
    }
    if (wanted.has('unsupervised') || f.unsupervised) {
      const responses = intFlag('teacher-responses', f.teacherResponses, 1, 100);
      const maxTokens = intFlag('teacher-max-tokens', f.teacherMaxTokens, 1, 1 << 16);
      const temperature = numFlag('teacher-temperature', f.teacherTemperature, (n) => n > 0 && n <= 2, 'a number in (0, 2]');
      const seed = intFlag('teacher-seed', f.teacherSeed, 0, 2 ** 31 - 1);
      const prompts = [...new Set([...suspect.records, ...(control?.records ?? [])].map((r) => r.prompt))];
      const u = await unsupervisedFilter({ spec, key, prompts, model: f.teacher, responsesPerPrompt: responses, maxTokens, temperature, seed });
      filters.push({ variant: 'unsupervised', filter: u.filter, description: `windows of ${u.responses} fresh watermarked responses (${u.tokens} tokens) of model ${f.teacher} to the ${prompts.length} probe prompts` });
    }
    if (filters.length === 0) throw usage('--variants selected nothing to run');
    const specials = tokenizer.specialTokenIds;
    const variants: VariantResult[] = filters.map((v) => ({
      variant: v.variant,
      filterDescription: v.description,
      ...radioactivityTest({
        spec,
        key,
        suspect: suspect.items,
        ...(control ? { control: control.items } : {}),
        ...(v.filter ? { filter: v.filter, filterName: v.variant } : {}),
        decoyKeys,
        families: fam ? fam.labels.length : k,
        alpha,
        specialTokens: specials,
      }),
    }));
    const minLnP = Math.min(...variants.map((v) => v.suspect.pooled.lnP));
    const combinedLnP = Math.min(0, minLnP + Math.log(variants.length));
    const warnings = variants.flatMap((v) => v.warnings.map((w) => `${v.variant}: ${w}`));
    return {
      command: 'radioactivity',
      alpha,
      transcript: f.transcript,
      control: f.control ?? null,
      responses: suspect.records.length,
      families: fam ? { k: fam.labels.length, source: 'map', labels: fam.labels } : k > 0 ? { k, source: 'hash' } : null,
      decoys: { k: decoyKeys.length, seed: decoySeed },
      variants,
      combinedLnP,
      combinedLog10P: lnToLog10(combinedLnP),
      verdict: combinedLnP <= Math.log(alpha) ? 'radioactive' : 'not-detected',
      controlsOk: warnings.length === 0,
      warnings,
    };
  } finally {
    tokenizer.dispose();
  }
}

const fmt = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '—' : x.toFixed(d));

export function printRadioactivity(r: RadioactivityOutput): void {
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
  println(`verdict: ${r.verdict === 'radioactive' ? 'RADIOACTIVE' : 'not detected'} — p = ${fmtLog10(r.combinedLog10P)}${corr}`);
  println(r.controlsOk ? 'negative controls: passed (decoys null and uniform; control not significant)' : `negative controls FAILED:\n  ${r.warnings.join('\n  ')}`);
}

export function registerRadioactivity(program: Command): void {
  program
    .command('radioactivity')
    .description('closed-model radioactivity test of a probe transcript: filters, prompt families, decoy keys, control model')
    .requiredOption('--spec <file>', 'watermark spec (JSON)')
    .requiredOption('--key <file>', 'watermark key file')
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
