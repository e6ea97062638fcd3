/**
 * How many scored tokens and queries does an investigation need? From an assumed
 * effect (green rate q; Gumbel: mean score), or one estimated from a pilot probe
 * transcript scored exactly as the real test will be (prompt exclusion, filter, global
 * dedup) — then for the estimate and for its 95% lower confidence bound. The
 * statistics (planTest, estimateFromPilot) live in the detector.
 */
import { estimateFromPilot, planTest, PooledPass, schemeNameOf, usage, windowMask, type Plan, type PilotEstimate, type SchemeName } from '@tracemark/detector';
import { createEngineReader, generateEngineKey, isEngineSpec, nullModelOf, type AnySpec, type EngineKey, type EngineSpec, type NullModel, type WatermarkKey } from '@tracemark/watermark';
import { loadEvidence, loadSpecFilter, specTokenizer, unionFilter } from './inputs.js';

/** The assumed per-token effect: a green rate (binomial tests) or a mean score (Gumbel). */
export type PlanEffect = { q: number } | { mean: number; sd?: number };

export interface PlanOptions {
  /** Scheme and parameters (a spec without a real key is fine for assumed effects); tracemark's or an engine's. */
  spec: AnySpec;
  alpha: number;
  power: number;
  /** Scored (new, distinct) tokens per response, to convert tokens into queries. */
  tokensPerResponse?: number;
}

export interface PilotOptions extends PlanOptions {
  key: WatermarkKey | EngineKey;
  /** The pilot probe transcript. */
  pilot: string;
  /** Ledger filter files: plan for the test filtered by their windows (union). */
  filters?: readonly string[];
}

export interface InvestigationPlan {
  scheme: SchemeName;
  nullModel: NullModel;
  source: 'assumed' | 'pilot';
  pilot: (PilotEstimate & { transcript: string; filtered: boolean }) | null;
  plans: { label: string; plan: Plan }[];
}

/**
 * The null model of a scheme without a key (only the parameters matter): the watermark
 * package's nullModelOf for tracemark's specs; for an engine spec, the engine reader's,
 * built with a throwaway all-zero key of the engine's kind (the null model never depends on it).
 */
export function planNullModel(spec: AnySpec): NullModel {
  if (!isEngineSpec(spec)) return nullModelOf(spec);
  return engineNullModel(spec);
}

export function engineNullModel(spec: EngineSpec): NullModel {
  const throwaway = generateEngineKey(spec.engine, (n) => new Uint8Array(n));
  return createEngineReader({ ...spec, keyFingerprint: throwaway.fingerprint }, throwaway).nullModel;
}

function labelled(label: string, nm: NullModel, o: PlanOptions, effect: { q?: number; mean?: number; sd?: number }, perResponse = o.tokensPerResponse): { label: string; plan: Plan } {
  try {
    return { label, plan: planTest({ nullModel: nm, ...effect, alpha: o.alpha, power: o.power, ...(perResponse !== undefined ? { tokensPerResponse: perResponse } : {}) }) };
  } catch (e) {
    throw usage((e as Error).message);
  }
}

/** The plan for an assumed effect. */
export function planAssumed(o: PlanOptions & { effect: PlanEffect }): InvestigationPlan {
  const nm = planNullModel(o.spec);
  return { scheme: schemeNameOf(o.spec), nullModel: nm, source: 'assumed', pilot: null, plans: [labelled('assumed', nm, o, o.effect)] };
}

/** Score a pilot transcript as the real test will, estimate the effect, and plan for it. */
export function planFromPilot(o: PilotOptions): InvestigationPlan {
  const { spec, key } = o;
  const nm = planNullModel(spec);
  if (!isEngineSpec(spec) && spec.payload) throw usage('planning is for zero-bit specs (the payload test has no single green rate)');
  const filter = o.filters?.length ? unionFilter(o.filters.map((p) => loadSpecFilter(p, spec))) : undefined;
  const tokenizer = specTokenizer(spec);
  let est: PilotEstimate;
  try {
    const ev = loadEvidence(o.pilot, tokenizer);
    const pass = new PooledPass(spec, key, { specialTokens: tokenizer.specialTokenIds });
    let sumSq = 0;
    const novel: number[] = [];
    for (const it of ev.items) {
      const mask = filter ? windowMask(pass.windowSource, it.tokens, filter) : undefined;
      const st = pass.add(it.tokens, it.given, { mask, sink: (s) => (sumSq += s * s) });
      novel.push(st.novel);
    }
    est = estimateFromPilot(nm, { scored: pass.scored, sum: pass.sum, sumSq, novelPerResponse: novel });
  } finally {
    tokenizer.dispose();
  }
  const pilot = { ...est, transcript: o.pilot, filtered: filter !== undefined };
  const perResponse = o.tokensPerResponse ?? est.tokensPerResponse ?? undefined;
  const plans: { label: string; plan: Plan }[] = [];
  if (nm.kind === 'gamma') {
    if (est.mean === null || !(est.mean > 1)) throw usage(`the pilot shows no excess score (mean ${est.mean?.toFixed(4) ?? '—'} over ${est.scored} tuples, null mean 1): nothing to plan for`);
    plans.push(labelled('pilot estimate', nm, o, { mean: est.mean, sd: est.sd ?? est.mean }, perResponse));
  } else {
    if (est.q === null || !(est.q > nm.p)) throw usage(`the pilot shows no excess rate (q̂ = ${est.q?.toFixed(4) ?? '—'} over ${est.scored} tuples, null ${nm.p.toFixed(4)}): nothing to plan for`);
    plans.push(labelled('pilot estimate', nm, o, { q: est.q }, perResponse));
    if (est.qLower !== null && est.qLower > nm.p) plans.push(labelled('95% lower bound', nm, o, { q: est.qLower }, perResponse));
  }
  return { scheme: schemeNameOf(spec), nullModel: nm, source: 'pilot', pilot, plans };
}
