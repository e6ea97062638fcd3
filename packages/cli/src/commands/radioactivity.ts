/**
 * `tracemark radioactivity`: is a suspect a clone of our watermarked model? The
 * closed-model test over a probe transcript (prompt windows excluded, global dedup,
 * exact pooled p-value, Fisher over prompt families) with negative controls (decoy keys,
 * a control model's transcript), unfiltered and with the supervised (ledger) and/or the
 * built-in unsupervised filter. With several variants the verdict is Bonferroni-corrected
 * over them (the variants are chosen before looking at the scores).
 *
 * With --model the suspect's weights are in hand: the open-model test (investigate's
 * investigateOpenModel) teacher-forces it on our served texts (--served, or the ledger's
 * recorded completions with --ledger; optionally restricted to --filter ledger windows) and/or on fresh watermarked answers of --teacher
 * to --prompts, instead of reading a probe transcript.
 */
import type { Command } from 'commander';
import { alphaFlag, collect, intFlag, numFlag } from '../io/args.js';
import { loadAnyKey, loadAnySpec, usage } from '@tracemark/detector';
import { fmtLog10, printJson, println, progress, warn } from '../io/output.js';
import { decoyKeys, newDecoySeed } from '@tracemark/evidence';
import type { WatermarkKey } from '@tracemark/watermark';
import { investigateOpenModel, investigateRadioactivity, listFlag, type OpenModelReport, RADIOACTIVITY_VARIANTS, type RadioactivityReport, type RadioactivityVariant } from '@tracemark/investigate';

export interface RadioactivityFlags {
  spec: string;
  key: string;
  transcript?: string;
  model?: string;
  served?: string;
  ledger?: string;
  accounts?: string;
  prompts?: string;
  listSize?: string;
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
  /** commander's --no-logprob-test: false turns the logprob test off. */
  logprobTest?: boolean;
  json?: boolean;
}

export type { VariantResult } from '@tracemark/investigate';
export type RadioactivityOutput = { command: 'radioactivity' } & RadioactivityReport;
export type RadioactivityOpenModelOutput = { command: 'radioactivity' } & OpenModelReport;

function variantsOf(f: RadioactivityFlags): RadioactivityVariant[] {
  const wanted = new Set(f.variants !== undefined ? listFlag('variants', f.variants) : ['unfiltered', ...(f.filter?.length ? ['supervised'] : [])]);
  for (const v of wanted) if (!(RADIOACTIVITY_VARIANTS as readonly string[]).includes(v)) throw usage(`--variants: unknown variant ${JSON.stringify(v)} (unfiltered, supervised, unsupervised)`);
  if (f.unsupervised) wanted.add('unsupervised');
  return RADIOACTIVITY_VARIANTS.filter((v) => wanted.has(v));
}

function teacherOf(f: RadioactivityFlags) {
  return {
    model: f.teacher,
    responsesPerPrompt: intFlag('teacher-responses', f.teacherResponses, 1, 100),
    maxTokens: intFlag('teacher-max-tokens', f.teacherMaxTokens, 1, 1 << 16),
    temperature: numFlag('teacher-temperature', f.teacherTemperature, (n) => n > 0 && n <= 2, 'a number in (0, 2]'),
    seed: intFlag('teacher-seed', f.teacherSeed, 0, 2 ** 31 - 1),
  };
}

/** The open-model test (--model): the suspect's weights teacher-forced on our texts. */
export async function runOpenModelRadioactivity(f: RadioactivityFlags & { model: string }): Promise<RadioactivityOpenModelOutput> {
  const closedOnly = (['transcript', 'control', 'families', 'familyMap', 'variants', 'unsupervised'] as const).filter((k) => f[k] !== undefined);
  if (closedOnly.length) throw usage(`--model runs the open-model test: --${closedOnly[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} belongs to the transcript test (give texts with --served and/or --prompts)`);
  const alpha = alphaFlag(f.alpha);
  const nDecoys = intFlag('decoys', f.decoys, 0, 1000);
  if (f.decoySeed !== undefined && !/^[0-9a-f]{64}$/.test(f.decoySeed)) throw usage('--decoy-seed must be 64 lowercase hex characters');
  const listSize = f.listSize !== undefined ? intFlag('list-size', f.listSize, 1, 1 << 16) : undefined;
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  const decoySeed = f.decoySeed ?? newDecoySeed();
  const bar = progress('radioactivity');
  const r = await investigateOpenModel({
    spec,
    key: key as WatermarkKey,
    model: f.model,
    ...(f.served !== undefined ? { served: f.served } : {}),
    ...(f.ledger !== undefined ? { ledger: f.ledger } : {}),
    ...(f.accounts !== undefined ? { accounts: listFlag('accounts', f.accounts) } : {}),
    ...(f.filter?.length ? { filters: f.filter } : {}),
    ...(f.prompts !== undefined ? { prompts: f.prompts, teacher: teacherOf(f) } : {}),
    decoyKeys: decoyKeys(decoySeed, nDecoys, key, spec) as WatermarkKey[],
    decoySeed,
    alpha,
    ...(listSize !== undefined ? { listSize } : {}),
    onProgress: (done, total) => bar.update(done, total),
  }).finally(() => bar.done());
  return { command: 'radioactivity', ...r };
}

export async function runRadioactivity(f: RadioactivityFlags): Promise<RadioactivityOutput> {
  if (f.transcript === undefined) throw usage('give --transcript <file> (a probe transcript) or --model <suspect> (the open-model test)');
  for (const k of ['served', 'ledger', 'accounts', 'prompts', 'listSize'] as const) if (f[k] !== undefined) throw usage(`--${k === 'listSize' ? 'list-size' : k} belongs to the open-model test: give --model <suspect>`);
  const alpha = alphaFlag(f.alpha);
  const nDecoys = intFlag('decoys', f.decoys, 0, 1000);
  if (f.decoySeed !== undefined && !/^[0-9a-f]{64}$/.test(f.decoySeed)) throw usage('--decoy-seed must be 64 lowercase hex characters');
  if (f.families !== undefined && f.familyMap !== undefined) throw usage('give --families or --family-map, not both');
  const families = f.families !== undefined ? intFlag('families', f.families, 2, 1000) : undefined;
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  const variants = variantsOf(f);
  const teacher = variants.includes('unsupervised') ? teacherOf(f) : undefined;
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
    logprobTest: f.logprobTest === false ? 'off' : 'auto',
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
  for (const lv of r.logprob ?? []) {
    const l = lv.suspect;
    println(
      `${`logprob/${lv.variant.slice(0, 5)}`.padEnd(13)} ${String(l.test.windows).padStart(9)} ${fmt(l.test.log10P).padStart(9)} ${r.families ? `${'—'.padStart(10)} ` : ''}${`${fmt(l.decoys.medianLog10P, 2)}/${fmt(l.decoys.minLog10P, 2)}`.padStart(15)} ${'—'.padStart(7)} ${fmt(lv.control?.test.log10P).padStart(8)}`,
    );
  }
  for (const v of r.variants) if (v.filterDescription) println(`  ${v.variant}: ${v.filterDescription}`);
  for (const lv of r.logprob ?? []) {
    const l = lv.suspect;
    println(`  logprob/${lv.variant}: green mass ${l.test.mean.toFixed(3)} (null ${l.test.nullMean.toFixed(3)}) at ${l.test.windows} distinct windows of ${l.responses.withLogprobs} of ${l.responses.total} answers with logprobs (anytime-valid e-process p)`);
  }
  println('');
  const tests = r.variants.length + (r.logprob?.length ?? 0);
  const corr = tests > 1 ? ` (smallest of ${tests} tests, Bonferroni-corrected)` : '';
  println(`verdict: ${r.verdict === 'detected' ? 'RADIOACTIVE' : 'not detected'} — p = ${fmtLog10(r.combinedLog10P)}${corr}`);
  println(r.controlsOk ? 'negative controls: passed (decoys null and uniform; control not significant)' : `negative controls FAILED:\n  ${r.warnings.join('\n  ')}`);
}

export function printOpenModelRadioactivity(r: OpenModelReport): void {
  println(`open-model test of ${r.model}; ${r.decoys.k} decoy keys; α = ${r.alpha.toExponential()}`);
  println('');
  println(`${'variant'.padEnd(13)} ${'windows'.padStart(8)} ${'mass'.padStart(6)} ${'null'.padStart(6)} ${'log10 p'.padStart(8)} ${'argmax'.padStart(12)} ${'log10 p'.padStart(8)} ${'decoys med/min'.padStart(15)}`);
  for (const v of r.variants) {
    const t = v.test;
    println(
      `${v.variant.padEnd(13)} ${String(t.windows).padStart(8)} ${t.greenMass.mean.toFixed(3).padStart(6)} ${t.greenMass.nullMean.toFixed(3).padStart(6)} ${fmt(t.greenMass.log10P).padStart(8)} ${`${fmt(t.argmax.score, 0)}/${t.argmax.scored}`.padStart(12)} ${fmt(t.argmax.log10P).padStart(8)} ${`${fmt(v.decoys.medianLog10P, 2)}/${fmt(v.decoys.minLog10P, 2)}`.padStart(15)}`,
    );
  }
  for (const v of r.variants) println(`  ${v.variant}: ${v.description}`);
  println('');
  const corr = r.variants.length > 1 ? ` (smallest of ${r.variants.length} variants, Bonferroni-corrected)` : '';
  println(`verdict: ${r.verdict === 'detected' ? 'RADIOACTIVE' : 'not detected'} — p = ${fmtLog10(r.combinedLog10P)}${corr}`);
  println(r.controlsOk ? 'negative controls: passed (no decoy key significant)' : `negative controls FAILED:\n  ${r.warnings.join('\n  ')}`);
}

export function registerRadioactivity(program: Command): void {
  program
    .command('radioactivity')
    .description('radioactivity test: closed-model (a probe transcript: filters, prompt families, decoy keys, control model) or open-model (--model: the suspect\'s weights teacher-forced on our texts)')
    .requiredOption('--spec <file>', 'watermark spec (JSON; an engine spec too: unfiltered and supervised tests)')
    .requiredOption('--key <file>', 'watermark key file (an engine key file for an engine spec)')
    .option('--transcript <file>', "the suspect's probe transcript (or {id, prompt, text} JSONL); or give --model")
    .option('--model <suspect>', "open-model test: the suspect's weights — builtin (a sanity control), a Kneser–Ney model file, or an ONNX model directory")
    .option('--served <file>', 'open-model, supervised: the texts we served ({id, prompt, text} JSONL or a transcript); --filter keeps only their ledger windows')
    .option('--ledger <ledger>', 'open-model, supervised: the completions the provenance ledger recorded with token ids (upstream proxy rows; SQLite file or postgres:// URL)')
    .option('--accounts <list>', 'open-model, with --ledger: only these accounts\' responses (comma-separated)')
    .option('--prompts <file>', 'open-model, unsupervised: prompts (lines or JSONL) that --teacher answers afresh with our key')
    .option('--list-size <k>', 'open-model: most likely tokens read per window (the rest counts at the null mean)', undefined)
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
    .option('--no-logprob-test', 'do not run the logprob test on a transcript with logprobs (probe --logprobs); by default it runs and counts as one more test in the Bonferroni verdict')
    .option('--json', 'machine-readable output')
    .action(async (f: RadioactivityFlags) => {
      if (f.model !== undefined) {
        const r = await runOpenModelRadioactivity({ ...f, model: f.model });
        if (f.json) printJson(r);
        else printOpenModelRadioactivity(r);
        return;
      }
      const r = await runRadioactivity(f);
      if (f.json) printJson(r);
      else printRadioactivity(r);
    });
}
