/**
 * Is a suspect a clone of our watermarked model? The closed-model radioactivity test
 * (detector's `radioactivityTest`) over a probe transcript, with negative controls
 * (decoy keys, a control model's transcript), run unfiltered and/or with the supervised
 * (ledger) and the unsupervised (fresh teacher generations) window filters. With
 * several variants the verdict is Bonferroni-corrected over them: the variants are
 * chosen before looking at the scores, so the smallest p times their number is valid.
 */
import { combineVariants, type CombinedVerdict } from './combine-variants.js';
import { controlWarnings, RadioactivityRun, usage, type EvidenceItem, type RadioactivityOptions as TestOptions, type RadioactivityResult, type RadioactivitySummary, type WindowSet } from '@tracemark/detector';
import { isEngineSpec, type AnySpec, type EngineKey, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { loadEvidence, loadFamilyMap, loadSpecFilter, specTokenizer, unionFilter, unsupervisedFilter } from './inputs.js';
import type { EvidenceRecord } from './probe/transcript.js';
import { logprobTest, type LogprobReport } from './logprob-test.js';

export type RadioactivityVariant = 'unfiltered' | 'supervised' | 'unsupervised';
export const RADIOACTIVITY_VARIANTS: readonly RadioactivityVariant[] = ['unfiltered', 'supervised', 'unsupervised'];

export interface RadioactivityOptions {
  /** Tracemark's spec and key, or an engine spec (version 2) and the engine's key. */
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  /** The suspect's probe transcript (or {id, prompt, text} JSONL). */
  transcript: string;
  /** A known-innocent model's transcript on the same prompts: must not be significant. */
  control?: string;
  /** Variants to run (run in the order unfiltered, supervised, unsupervised). */
  variants: readonly RadioactivityVariant[];
  /** Supervised variant: ledger filter files (`tracemark ledger export-filter`), used as their union. */
  filters?: readonly string[];
  /** Unsupervised variant: fresh watermarked responses of the teacher to the probe prompts. */
  teacher?: { model: string; responsesPerPrompt: number; maxTokens: number; temperature: number; seed: number };
  /** Decoy keys (of the real key's kind) scored on the same positions, and the public seed they came from (recorded). */
  decoyKeys: readonly (WatermarkKey | EngineKey)[];
  decoySeed: string;
  /** Split the prompts into k hashed families (Fisher over the disjoint sub-tests)… */
  families?: number;
  /** …or take them from a JSONL {"id", "family"} file. */
  familyMap?: string;
  alpha: number;
  /**
   * The logprob test (§4c) on transcript lines that carry logprobs (`probe --logprobs`):
   * 'auto' (default) runs it when the suspect's transcript has them, 'off' never.
   */
  logprobTest?: 'auto' | 'off';
  /** Called with each warning about the inputs (e.g. a control on other prompts); not part of the report. */
  warn?: (msg: string) => void;
  /**
   * Called as responses are scored: `done` of `total` (every variant scores the suspect's
   * responses and the control's), first with 0, last with total.
   */
  onProgress?: (done: number, total: number) => void;
}

export interface LogprobVariantResult {
  variant: RadioactivityVariant;
  suspect: LogprobReport;
  control: LogprobReport | null;
}

export interface VariantResult extends RadioactivityResult {
  variant: RadioactivityVariant;
  filterDescription: string | null;
}

/** The combined fields (CombinedVerdict): min over variants of the pooled ln p, times the number of variants. */
export interface RadioactivityReport extends CombinedVerdict {
  alpha: number;
  transcript: string;
  control: string | null;
  responses: number;
  families: { k: number; source: 'hash' | 'map'; labels?: string[] } | null;
  decoys: { k: number; seed: string };
  variants: VariantResult[];
  /** The logprob test per variant (same filters), when it ran: each counts as one more test in the combined verdict. */
  logprob?: LogprobVariantResult[];
  controlsOk: boolean;
  warnings: string[];
}

export async function investigateRadioactivity(o: RadioactivityOptions): Promise<RadioactivityReport> {
  const { spec, key } = o;
  const wanted = new Set(o.variants);
  if (wanted.has('supervised') && !o.filters?.length) throw usage('the supervised variant needs --filter <file> (tracemark ledger export-filter)');
  if (o.families !== undefined && o.familyMap !== undefined) throw usage('give --families or --family-map, not both');
  if (isEngineSpec(spec) && wanted.has('unsupervised')) {
    // the teacher would have to generate with the engine's sampler: not built (the supervised filter works)
    throw usage(`the unsupervised variant generates with tracemark's own watermark: an engine spec (${spec.engine.scheme}) runs the unfiltered and supervised tests only`);
  }
  const k = o.families ?? 0;
  const fam = o.familyMap !== undefined ? loadFamilyMap(o.familyMap) : undefined;
  const tokenizer = specTokenizer(spec);
  try {
    const suspect = loadEvidence(o.transcript, tokenizer, fam?.map);
    const control = o.control !== undefined ? loadEvidence(o.control, tokenizer, fam?.map) : undefined;
    if (control) {
      const w = controlOverlapWarning(controlPromptOverlap(suspect.records, control.records), o.control!);
      if (w) o.warn?.(w);
    }
    const filters: { variant: RadioactivityVariant; filter?: WindowSet; description: string | null }[] = [];
    if (wanted.has('unfiltered')) filters.push({ variant: 'unfiltered', description: null });
    if (wanted.has('supervised')) {
      const fs = o.filters!.map((p) => loadSpecFilter(p, spec));
      const accounts = [...new Set(fs.flatMap((x) => x.header.accounts))];
      filters.push({ variant: 'supervised', filter: unionFilter(fs), description: `ledger windows sent to ${accounts.length} account(s): ${accounts.slice(0, 5).join(', ')}${accounts.length > 5 ? ', …' : ''}` });
    }
    if (wanted.has('unsupervised')) {
      if (!o.teacher) throw usage('the unsupervised variant needs a teacher model');
      const t = o.teacher;
      const prompts = [...new Set([...suspect.records, ...(control?.records ?? [])].map((r) => r.prompt))];
      const u = await unsupervisedFilter({ spec: spec as WatermarkSpec, key: key as WatermarkKey, prompts, model: t.model, responsesPerPrompt: t.responsesPerPrompt, maxTokens: t.maxTokens, temperature: t.temperature, seed: t.seed });
      filters.push({ variant: 'unsupervised', filter: u.filter, description: `windows of ${u.responses} fresh watermarked responses (${u.tokens} tokens) of model ${t.model} to the ${prompts.length} probe prompts` });
    }
    if (filters.length === 0) throw usage('--variants selected nothing to run');
    const total = filters.length * (suspect.items.length + (control?.items.length ?? 0));
    let done = 0;
    o.onProgress?.(0, total);
    const tick = o.onProgress ? (): void => o.onProgress!(++done, total) : undefined;
    const variants: VariantResult[] = filters.map((v) => ({
      variant: v.variant,
      filterDescription: v.description,
      ...testWithProgress({
        spec,
        key,
        suspect: suspect.items,
        ...(control ? { control: control.items } : {}),
        ...(v.filter ? { filter: v.filter, filterName: v.variant } : {}),
        decoyKeys: o.decoyKeys,
        families: fam ? fam.labels.length : k,
        alpha: o.alpha,
        specialTokens: tokenizer.specialTokenIds,
      }, tick),
    }));
    const logprob = o.logprobTest === 'off' ? null : runLogprob(o, filters, suspect.records, control?.records, tokenizer);
    const warnings = [...variants.flatMap((v) => v.warnings.map((w) => `${v.variant}: ${w}`)), ...(logprob ? logprobWarnings(logprob) : [])];
    return {
      alpha: o.alpha,
      transcript: o.transcript,
      control: o.control ?? null,
      responses: suspect.records.length,
      families: fam ? { k: fam.labels.length, source: 'map', labels: fam.labels } : k > 0 ? { k, source: 'hash' } : null,
      decoys: { k: o.decoyKeys.length, seed: o.decoySeed },
      variants,
      ...(logprob ? { logprob } : {}),
      ...combineVariants([...variants.map((v) => v.suspect.pooled.lnP), ...(logprob ?? []).map((l) => l.suspect.test.lnP)], o.alpha),
      controlsOk: warnings.length === 0,
      warnings,
    };
  } finally {
    tokenizer.dispose();
  }
}

/** The logprob test on the suspect's (and the control's) lines with logprobs, per variant; null when the suspect has none or the spec cannot run it. */
function runLogprob(
  o: RadioactivityOptions,
  filters: readonly { variant: RadioactivityVariant; filter?: WindowSet }[],
  suspect: readonly EvidenceRecord[],
  control: readonly EvidenceRecord[] | undefined,
  tokenizer: ReturnType<typeof specTokenizer>,
): LogprobVariantResult[] | null {
  if (!suspect.some((r) => r.logprobs !== undefined)) return null;
  if (isEngineSpec(o.spec) || o.spec.payload !== null) {
    o.warn?.('the transcript has logprobs, but the logprob test needs a zero-bit tracemark spec (version 1): not run');
    return null;
  }
  const base = { spec: o.spec, key: o.key as WatermarkKey, decoyKeys: o.decoyKeys as WatermarkKey[], alpha: o.alpha, tokenizer };
  return filters.map((f) => {
    const b = { ...base, ...(f.filter ? { filter: f.filter, filterName: f.variant } : {}) };
    return { variant: f.variant, suspect: logprobTest({ ...b, records: suspect })!, control: control ? logprobTest({ ...b, records: control }) : null };
  });
}

function logprobWarnings(ls: readonly LogprobVariantResult[]): string[] {
  const w: string[] = [];
  for (const l of ls) {
    const who = `logprob ${l.variant}`;
    if (l.suspect.decoys.significant > 0) w.push(`${who}: ${l.suspect.decoys.significant} of ${l.suspect.decoys.k} decoy keys are significant at α = ${l.suspect.alpha}`);
    if (l.control?.verdict === 'detected') w.push(`${who}: control model is significant (log10 p = ${l.control.test.log10P.toFixed(1)}): the pipeline or the control is compromised`);
    if (l.control && l.control.decoys.significant > 0) w.push(`${who}: control: ${l.control.decoys.significant} of ${l.control.decoys.k} decoy keys are significant`);
  }
  return w;
}

/** detector's `radioactivityTest`, step for step, calling `tick` after each response scored. */
function testWithProgress(o: TestOptions & { suspect: readonly EvidenceItem[]; control?: readonly EvidenceItem[] }, tick: (() => void) | undefined): RadioactivityResult {
  const summarise = (items: readonly EvidenceItem[]): RadioactivitySummary => {
    const run = new RadioactivityRun(o);
    for (const it of items) {
      run.add(it);
      tick?.();
    }
    return run.summary();
  };
  const suspect = summarise(o.suspect);
  const control = o.control ? summarise(o.control) : null;
  const warnings = controlWarnings(suspect, control);
  return { suspect, control, controlsOk: warnings.length === 0, warnings, verdict: suspect.verdict };
}

export interface PromptOverlap {
  /** Distinct prompts (by text) of the suspect's and of the control's transcript. */
  suspectPrompts: number;
  controlPrompts: number;
  /** Distinct prompts in both. */
  shared: number;
}

/** Which prompts the suspect's and the control's transcripts share, compared by prompt text (ids may differ). */
export function controlPromptOverlap(suspect: readonly Pick<EvidenceRecord, 'prompt'>[], control: readonly Pick<EvidenceRecord, 'prompt'>[]): PromptOverlap {
  const a = new Set(suspect.map((r) => r.prompt));
  const b = new Set(control.map((r) => r.prompt));
  let shared = 0;
  for (const p of b) if (a.has(p)) shared++;
  return { suspectPrompts: a.size, controlPrompts: b.size, shared };
}

/**
 * The control is meant to answer the suspect's prompts (--help: "same prompts"): then it
 * is scored on comparable text and its null result says something about the suspect's.
 * A warning when the two share fewer than half of either side's prompts; null otherwise.
 */
export function controlOverlapWarning(o: PromptOverlap, controlPath: string): string | null {
  if (2 * o.shared >= o.suspectPrompts && 2 * o.shared >= o.controlPrompts) return null;
  const what = o.shared === 0 ? 'no prompt' : `only ${o.shared} prompt(s)`;
  return `--control ${controlPath}: the control transcript shares ${what} with the suspect's (${o.controlPrompts} vs ${o.suspectPrompts} distinct prompts, compared by text); a control should answer the same prompts: probe the control model with the suspect's prompt set`;
}
