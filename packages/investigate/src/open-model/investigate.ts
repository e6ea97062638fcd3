/**
 * `tracemark radioactivity --model`: the open-model test (detector's OpenModelRun) with the
 * suspect's weights in hand. Our texts come from
 *   supervised    the responses we served: a transcript / {id, prompt, text} JSONL of them,
 *                 or the ledger's own record of them (the completion token ids the upstream
 *                 proxy stores; `tracemark serve`'s own rows keep only hashes and windows),
 *                 optionally restricted to the ledger windows of given accounts (--filter);
 *   unsupervised  fresh watermarked answers of our own model, with the spec's key, to the
 *                 given prompts.
 * The suspect is teacher-forced on them (teacher-force.ts). With both variants the verdict
 * is Bonferroni-corrected over them (chosen before looking at the scores).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { firstLine, usage, assertOpenModelSpec, isHfTokenizerId, isTiktokenEncoding, type OpenModelSummary } from '@tracemark/detector';
import { decodeKnFile, hfMatchesTiktoken, KneserNeyModel, loadModel, type LanguageModel } from '@tracemark/lm';
import { type AnySpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { loadEvidence, loadSpecFilter, specTokenizer, unionFilter } from '../inputs.js';
import { promptsFromFile } from '../probe/prompts.js';
import { ledgerTexts } from './ledger-texts.js';
import { teacherForce, type ForcedText } from './teacher-force.js';
import { freshAnswers } from '../fresh-answers.js';
import { combineVariants, type CombinedVerdict } from '../combine-variants.js';

export type OpenModelVariant = 'supervised' | 'unsupervised';

export interface OpenModelInvestigationOptions {
  spec: AnySpec;
  key: WatermarkKey;
  /** The suspect: "builtin" (a sanity control), a Kneser–Ney model file of @tracemark/lm, or an ONNX model directory. */
  model: string;
  /** Supervised: the texts we served (transcript or {id, prompt, text} JSONL). */
  served?: string;
  /** Supervised: the texts we served as the ledger holds them (token ids the upstream proxy recorded)… */
  ledger?: string;
  /** …of these accounts only (default every account). */
  accounts?: readonly string[];
  /** Supervised: ledger filter files (union); only their windows are read. */
  filters?: readonly string[];
  /** Unsupervised: prompts (lines, or JSONL with a "prompt" field) our model answers afresh. */
  prompts?: string;
  teacher?: { model: string; responsesPerPrompt: number; maxTokens: number; temperature: number; seed: number };
  decoyKeys: readonly WatermarkKey[];
  decoySeed: string;
  alpha: number;
  listSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface OpenModelVariantResult extends OpenModelSummary {
  variant: OpenModelVariant;
  description: string;
  texts: number;
  responseTokens: number;
  unselected: number;
}

export interface OpenModelReport extends CombinedVerdict {
  test: 'open-model';
  model: string;
  alpha: number;
  decoys: { k: number; seed: string };
  variants: OpenModelVariantResult[];
  controlsOk: boolean;
  warnings: string[];
}

/**
 * "builtin", a Kneser–Ney model file, or an ONNX model directory, checked against the spec's
 * tokenizer. A model directory whose tokenizer.json is a tiktoken encoding's vocabulary (every id
 * the same bytes; checked once per process) is accepted for a spec that names that encoding:
 * the test reads token ids, so the two ids name the same tokenizer.
 */
export async function loadSuspectModel(which: string, spec: WatermarkSpec): Promise<{ model: LanguageModel; dispose: () => Promise<void> }> {
  if (which !== 'builtin' && existsSync(which) && statSync(which).isFile()) {
    let model: KneserNeyModel;
    try {
      model = new KneserNeyModel(decodeKnFile(readFileSync(which)).data);
    } catch (e) {
      throw usage(`--model ${which}: not a Kneser–Ney model file of @tracemark/lm (${firstLine(e)})`);
    }
    if (model.tokenizer !== spec.tokenizer) throw usage(`--model ${which}: its tokenizer is ${model.tokenizer}, the spec's is ${spec.tokenizer}`);
    return { model, dispose: async () => {} };
  }
  const m = await loadModel(which, spec.tokenizer);
  if (m.model.tokenizer !== spec.tokenizer) {
    // the model's id names its tokenizer by the directory's name; the files are in `which`
    const same = isHfTokenizerId(m.model.tokenizer) && isTiktokenEncoding(spec.tokenizer) ? hfMatchesTiktoken(`hf:${which}`, spec.tokenizer) : null;
    if (same?.same !== true) {
      await m.dispose();
      throw usage(`--model ${which}: its tokenizer is ${m.model.tokenizer}, the spec's is ${spec.tokenizer}${same && !same.same ? ` and they differ (${same.reason})` : ''}`);
    }
  }
  return { model: m.model, dispose: () => m.dispose() };
}

export async function investigateOpenModel(o: OpenModelInvestigationOptions): Promise<OpenModelReport> {
  const spec = o.spec;
  try {
    assertOpenModelSpec(spec);
  } catch (e) {
    throw usage(firstLine(e));
  }
  if (o.served === undefined && o.ledger === undefined && o.prompts === undefined) throw usage('the open-model test needs texts: --served <file> or --ledger <ledger> (supervised) and/or --prompts <file> (unsupervised)');
  if (o.served !== undefined && o.ledger !== undefined) throw usage('give the served texts once: --served <file> or --ledger <ledger>');
  if (o.filters?.length && o.served === undefined && o.ledger === undefined) throw usage('--filter restricts the served texts: give --served <file> or --ledger <ledger> too');
  if (o.accounts !== undefined && o.ledger === undefined) throw usage('--accounts selects ledger responses: give --ledger <ledger> too');
  if (o.prompts !== undefined && !o.teacher) throw usage('the unsupervised variant needs a teacher model');
  // each source loads its texts (and says what they are) only when its variant runs
  const sources: { variant: OpenModelVariant; load: () => Promise<{ texts: ForcedText[]; description: string }>; filter?: ReturnType<typeof unionFilter> }[] = [];
  if (o.served !== undefined || o.ledger !== undefined) {
    const fs = (o.filters ?? []).map((p) => loadSpecFilter(p, spec));
    const accounts = [...new Set(fs.flatMap((x) => x.header.accounts))];
    const restricted = fs.length ? `, ledger windows sent to ${accounts.length} account(s)` : '';
    sources.push({
      variant: 'supervised',
      load: async () => {
        const r = await supervisedTexts(o, spec);
        return { texts: r.texts, description: `${r.description}${restricted}` };
      },
      ...(fs.length ? { filter: unionFilter(fs) } : {}),
    });
  }
  if (o.prompts !== undefined) {
    const prompts = promptsFromFile(o.prompts, 'prompt').map((p) => p.prompt);
    if (prompts.length === 0) throw usage(`${o.prompts}: no prompts`);
    const t = o.teacher!;
    sources.push({
      variant: 'unsupervised',
      load: async () => ({
        texts: await freshAnswers(spec, o.key, prompts, { ...t, label: 'tracemark/open-model-texts', what: 'our model for the unsupervised texts' }),
        description: `${prompts.length * t.responsesPerPrompt} fresh watermarked answers of model ${t.model} to ${prompts.length} prompts`,
      }),
    });
  }
  const suspect = await loadSuspectModel(o.model, spec);
  try {
    const variants: OpenModelVariantResult[] = [];
    for (const s of sources) {
      const { texts, description } = await s.load();
      const r = await teacherForce({ spec, key: o.key, suspect: suspect.model, texts, filter: s.filter, decoyKeys: o.decoyKeys, alpha: o.alpha, ...(o.listSize !== undefined ? { listSize: o.listSize } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
      variants.push({ variant: s.variant, description, texts: r.texts, responseTokens: r.responseTokens, unselected: r.unselected, ...r.summary });
    }
    const warnings = variants.flatMap((v) => (v.decoys.significant > 0 ? [`${v.variant}: ${v.decoys.significant} of ${v.decoys.k} decoy keys are significant at α = ${o.alpha}`] : []));
    return {
      test: 'open-model',
      model: o.model,
      alpha: o.alpha,
      decoys: { k: o.decoyKeys.length, seed: o.decoySeed },
      variants,
      ...combineVariants(variants.map((v) => v.test.lnP), o.alpha),
      controlsOk: warnings.length === 0,
      warnings,
    };
  } finally {
    await suspect.dispose();
  }
}

async function supervisedTexts(o: OpenModelInvestigationOptions, spec: WatermarkSpec): Promise<{ texts: ForcedText[]; description: string }> {
  if (o.served !== undefined) return { texts: servedTexts(o.served, spec), description: `our served texts in ${o.served}` };
  const l = await ledgerTexts(o.ledger!, spec, o.accounts);
  const who = o.accounts ? ` of ${o.accounts.length} account(s)` : '';
  return { texts: l.texts, description: `the completions recorded in the ledger${who} (${l.texts.length} of ${l.responses} responses have token ids)` };
}

function servedTexts(path: string, spec: WatermarkSpec): ForcedText[] {
  const tok = specTokenizer(spec);
  try {
    return loadEvidence(path, tok).records.map((r) => {
      const p = tok.encode(r.prompt).tokens;
      const resp = tok.encode(r.response).tokens;
      const tokens = new Uint32Array(p.length + resp.length);
      tokens.set(p);
      tokens.set(resp, p.length);
      return { tokens, start: p.length };
    });
  } finally {
    tok.dispose();
  }
}

