/**
 * Detection over probe transcripts: the numbers an evidence bundle records and `verify`
 * reproduces bit for bit.
 *
 * For each suspect (one transcript):
 *  - every response is tokenized with the spec's tokenizer;
 *  - in each response, positions whose window occurs in a text the suspect was given
 *    for that response (its prompt; for chat, every message) are not scored: the
 *    suspect may copy those windows;
 *  - each (window, token) tuple is scored once in the whole transcript: the first time
 *    it appears, in transcript order (global deduplication);
 *  - the pooled exact test of the scheme gives ln p (KGW/unigram Binomial(n, γ),
 *    SynthID Binomial(m·n, ½), Gumbel Gamma(n, 1); payload specs: "carries some id");
 *  - the evidence curve is that pooled ln p after each response;
 *  - per response, the text's own test (its tuples, deduplicated within the text) gives
 *    the score distribution;
 *  - K decoy keys — keys derived from a public seed, with specs identical to the real
 *    one except for the fingerprint — are scored on exactly the same evidence. Under
 *    H0 their p-values are (super-)uniform; a KS test checks it (on the decoys with at
 *    least one scored tuple: with none, p = 1 by construction; no test when fewer than
 *    2 remain). They show that the
 *    pipeline does not produce small p-values for keys the suspect never saw.
 * Across suspects the pooled p-values are Holm-adjusted (several suspects, one report).
 *
 * Everything is deterministic in (spec, key, transcripts, options): no clocks, no
 * unseeded randomness, iteration in transcript order.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  countPayload,
  EvidencePool,
  ExclusionSet,
  FLAG_NAMES,
  holmAdjustLog,
  ksUniform,
  lnToLog10,
  PooledPass,
  schemeNameOf,
  type TextTokenizer,
  testFromCounts,
  type CountsTest,
  type SchemeName,
  type ScoredTokens,
} from '@tracemark/detector';
import { assertKeyMatches, isEngineSpec, type AnySpec, type EngineKey, type EngineStatistic, Watermark, type WatermarkKey, type WatermarkSpec, type EngineReader } from '@tracemark/watermark';
import { specTokenizer, type EvidenceRecord } from '@tracemark/investigate';
import { decoyKey, decoyKeys } from './decoys.js';
import { ENGINE_STATISTIC_METHOD, engineSchemeSummary, engineTestDescription, pooledEngineStatistic } from './engine.js';

export const SCORES_VERSION = 1;

export interface EvidenceOptions {
  alpha: number;
  decoys: number;
  /** 32 bytes, hex: decoy key i = HKDF-SHA256(seed, salt "tracemark/decoy/v1", info "decoy/<i>", 32); engine specs: the engine's key generator on that stream (decoys.ts). */
  decoySeed: string;
  /** Responses shown in the heatmap (the most marked ones). */
  heatmap: number;
  /** Longest text shown per heatmap response, in tokens. */
  heatmapTokens: number;
  /** Called as responses are scored (all suspects): first (0, total), then once per response up to (total, total). Not recorded. */
  onProgress?: (done: number, total: number) => void;
}

export interface SuspectInput {
  name: string;
  /** Path of the transcript inside the bundle. */
  transcript: string;
  transcriptSha256: string;
  records: EvidenceRecord[];
}

/** The pooled test as recorded in scores.json: the payload reduced to what the report shows. */
export interface PooledTest extends Omit<CountsTest, 'payload'> {
  payload?: { message: string; messageHex: string; matched: number; method: string };
}

export interface ResponseScore {
  promptId: string;
  tokens: number;
  /** Tuples scored in this response on its own (deduplicated within the text, prompt windows excluded). */
  scored: number;
  score: number;
  z: number;
  lnP: number;
  /** Tuples first seen in this response (what it adds to the pooled test). */
  novel: number;
}

export interface DecoyResult {
  index: number;
  keyFingerprint: string;
  scored: number;
  score: number;
  lnP: number;
  log10P: number;
  /** log10 p after each curve point (same x positions as the real key's curve). */
  curve: number[];
}

export interface HeatmapEntry {
  promptId: string;
  lnP: number;
  log10P: number;
  /** [charStart, charEnd, flag index (FLAG_NAMES), score or null] per token, up to heatmapTokens. */
  marks: [number, number, number, number | null][];
  text: string;
  truncated: boolean;
}

export interface SuspectScores {
  name: string;
  transcript: string;
  transcriptSha256: string;
  responses: number;
  accounting: {
    tokens: number;
    noContext: number;
    special: number;
    excluded: number;
    duplicatesWithin: number;
    duplicatesAcross: number;
    scored: number;
    /** Σ over responses of the distinct windows in the texts given for that response. */
    promptWindows: number;
  };
  pooled: PooledTest;
  /** Holm-adjusted over the suspects of this report. */
  holmLnP: number;
  holmLog10P: number;
  verdict: 'detected' | 'not-detected';
  /** Evidence curve: [tokens scored so far, log10 p] after selected responses (≤ 400 points). */
  curve: [number, number][];
  perResponse: ResponseScore[];
  decoys: DecoyResult[];
  /** KS test of the p-values of the decoys with at least one scored tuple (n of them); null when fewer than 2. */
  decoyKs: { n: number; statistic: number; pValue: number; method: string } | null;
  /** Decoys whose p-value is ≤ the real key's (ties count). */
  decoysAtLeastAsSmall: number;
  /** Decoys detected at α (expected ≈ α·K). */
  decoysDetected: number;
  heatmap: HeatmapEntry[];
  /** Engine specs only: the engine's own detector over the suspect's pooled responses (beside the exact p, not instead of it). */
  engineStatistic?: EngineStatistic;
}

export interface Scores {
  type: 'tracemark-scores';
  version: typeof SCORES_VERSION;
  alpha: number;
  specId: string;
  keyFingerprint: string;
  scheme: SchemeName;
  /** Engine specs only: the scheme as the engine names it, and how the engine's statistic was computed. */
  engine?: { summary: string; statistic: string };
  method: {
    dedup: 'global-per-suspect';
    exclusion: 'windows of the texts given for each response';
    test: string;
    multipleSuspects: 'holm';
    decoys: { count: number; seed: string; derivation: string };
    heatmap: { responses: number; maxTokens: number };
  };
  suspects: SuspectScores[];
}

export { decoyKey };

export function newDecoySeed(): string {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

export function testDescription(spec: WatermarkSpec): string;
export function testDescription(spec: AnySpec, model: Watermark | EngineReader): string;
export function testDescription(spec: AnySpec, model?: Watermark | EngineReader): string {
  if (isEngineSpec(spec)) return engineTestDescription(spec.engine, model!.nullModel);
  const sc = spec.scheme;
  if (spec.payload) {
    return (
      `payload: P(M ≥ m) for M = tokens agreeing with the best-matching id, corrected over all 2^${spec.payload.bits} ids ` +
      '(exact; for large counts bounded above by a per-position union bound or Bonferroni: each suspect’s payload row says which)'
    );
  }
  if (sc.name === 'gumbel') return 'Gumbel-max: S = Σ −ln(1 − r) ~ Gamma(n, 1); p = Q(n, S) (upper regularized gamma), exact';
  if (sc.name === 'synthid') return `SynthID tournament: S = Σ g-values ~ Binomial(${sc.layers}·n, 1/2); p = P(S ≥ s), exact`;
  return `${sc.name === 'kgw' ? 'KGW green list' : 'Unigram green list'}: S = green tokens ~ Binomial(n, γ = ${sc.gamma}); p = P(S ≥ s) = I_γ(s, n − s + 1), exact`;
}

/** One key's pass over a suspect's evidence: scoring (tracemark's Scorer, or an engine reader's) in front of the detector's EvidencePool. */
class KeyPass {
  readonly scorer: PooledPass['scorer'];
  readonly pool: EvidencePool;
  readonly model: Watermark | EngineReader;
  readonly keyFingerprint: string;
  readonly #payload: boolean;

  constructor(spec: AnySpec, key: WatermarkKey | EngineKey, specials: ReadonlySet<number>) {
    const pass = new PooledPass(spec, key, { engine: 'wasm', specialTokens: specials });
    this.scorer = pass.scorer;
    this.pool = pass.pool;
    this.model = 'reader' in this.scorer ? this.scorer.reader : this.scorer.wm;
    this.keyFingerprint = spec.keyFingerprint;
    this.#payload = !isEngineSpec(spec) && spec.payload !== null;
  }

  /** The windows of the texts given for one response (they depend on the key: one set per key). */
  exclusion(given: readonly Uint32Array[]): ExclusionSet {
    return this.scorer.exclusionSet(given);
  }

  /** Score one response; returns the per-text result and adds its novel tuples to the pool. */
  add(tokens: Uint32Array, given: readonly Uint32Array[]): { text: ScoredTokens; novel: number; exclusion: ExclusionSet } {
    const exclusion = this.exclusion(given);
    const r = this.scorer.score(tokens, { dedup: true, exclude: exclusion, tuples: true, payload: this.#payload });
    const { novel } = this.pool.add({ ...r.tuples!, pos: r.payloadPos, colour: r.payloadColour });
    return { text: r, novel, exclusion };
  }

  pooled(): PooledTest {
    const r = this.pool.test();
    if (!r.payload) return r as PooledTest;
    const p = r.payload;
    return { ...r, test: 'payload', payload: { message: p.message, messageHex: p.messageHex, matched: p.matched, method: p.method } };
  }

  /** The per-text test of one response's own tuples (descriptive: the heatmap's order). */
  textTest(r: ScoredTokens): { z: number; lnP: number } {
    const wm = this.model;
    if (r.payloadPos && r.scored === 0) return { z: 0, lnP: 0 };
    const t = testFromCounts(wm, r.scored, r.sum, r.payloadPos && wm instanceof Watermark ? countPayload(wm, r.payloadPos, r.payloadColour!) : undefined);
    return { z: t.z, lnP: t.lnP };
  }
}

/** Indices (0-based, of responses) after which a curve point is recorded: ≤ maxPoints, always the last. */
export function curveIndices(n: number, maxPoints = 400): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 1; k <= maxPoints; k++) out.push(Math.ceil((k * n) / maxPoints) - 1);
  return [...new Set(out)];
}

export function scoreEvidence(spec: AnySpec, key: WatermarkKey | EngineKey, specId: string, suspects: SuspectInput[], o: EvidenceOptions): Scores {
  assertKeyMatches(key, spec.keyFingerprint);
  const tokenizer = specTokenizer(spec);
  try {
    const specials = tokenizer.specialTokenIds;
    const decoys = decoyKeys(o.decoySeed, o.decoys, key, spec);
    const total = suspects.reduce((n, s) => n + s.records.length, 0);
    let done = 0;
    o.onProgress?.(0, total);
    const tick = o.onProgress ? (): void => o.onProgress!(++done, total) : undefined;
    const results = suspects.map((s) => scoreSuspect(spec, key, decoys, tokenizer, specials, s, o, tick));
    const holm = holmAdjustLog(results.map((r) => r.pooled.lnP));
    const lnAlpha = Math.log(o.alpha);
    results.forEach((r, i) => {
      r.holmLnP = holm[i]!;
      r.holmLog10P = lnToLog10(r.holmLnP);
      r.verdict = r.holmLnP <= lnAlpha ? 'detected' : 'not-detected';
    });
    const engine = isEngineSpec(spec);
    return {
      type: 'tracemark-scores',
      version: SCORES_VERSION,
      alpha: o.alpha,
      specId,
      keyFingerprint: spec.keyFingerprint,
      scheme: schemeNameOf(spec),
      ...(engine ? { engine: { summary: engineSchemeSummary(spec.engine), statistic: ENGINE_STATISTIC_METHOD } } : {}),
      method: {
        dedup: 'global-per-suspect',
        exclusion: 'windows of the texts given for each response',
        test: engine ? testDescription(spec, new KeyPass(spec, key, specials).model) : testDescription(spec),
        multipleSuspects: 'holm',
        decoys: {
          count: decoys.length,
          seed: o.decoySeed,
          derivation: engine
            ? `the engine's key generator (generateEngineKey for ${spec.engine.scheme}) reading its random bytes in order from HKDF-SHA256(ikm = seed, salt = "tracemark/decoy/v1", info = "decoy/<i>", 1024 bytes)`
            : 'HKDF-SHA256(ikm = seed, salt = "tracemark/decoy/v1", info = "decoy/<i>", 32 bytes)',
        },
        heatmap: { responses: o.heatmap, maxTokens: o.heatmapTokens },
      },
      suspects: results,
    };
  } finally {
    tokenizer.dispose();
  }
}

function scoreSuspect(
  spec: AnySpec,
  key: WatermarkKey | EngineKey,
  decoyKeys: (WatermarkKey | EngineKey)[],
  tokenizer: TextTokenizer,
  specials: ReadonlySet<number>,
  s: SuspectInput,
  o: EvidenceOptions,
  tick?: () => void,
): SuspectScores {
  const given = s.records.map((r) => r.given.map((g) => tokenizer.encode(g).tokens));
  const responses = s.records.map((r) => tokenizer.encode(r.response).tokens);
  const real = new KeyPass(spec, key, specials);
  const decoys = decoyKeys.map((k) => new KeyPass({ ...spec, keyFingerprint: k.fingerprint } as AnySpec, k, specials));
  const points = new Set(curveIndices(responses.length));
  const curve: [number, number][] = [];
  const decoyCurves: number[][] = decoys.map(() => []);
  const perResponse: ResponseScore[] = [];
  const acc = { tokens: 0, noContext: 0, special: 0, excluded: 0, duplicatesWithin: 0, duplicatesAcross: 0, scored: 0, promptWindows: 0 };
  responses.forEach((toks, i) => {
    const rec = s.records[i]!;
    if (toks.length === 0) {
      perResponse.push({ promptId: rec.promptId, tokens: 0, scored: 0, score: 0, z: 0, lnP: 0, novel: 0 });
    } else {
      const { text, novel, exclusion } = real.add(toks, given[i]!);
      acc.promptWindows += exclusion.size;
      const t = real.textTest(text);
      acc.tokens += text.tokens;
      acc.noContext += text.noContext;
      acc.special += text.special;
      acc.excluded += text.excluded;
      acc.duplicatesWithin += text.duplicates;
      acc.duplicatesAcross += text.scored - novel;
      perResponse.push({ promptId: rec.promptId, tokens: text.tokens, scored: text.scored, score: text.sum, z: t.z, lnP: t.lnP, novel });
      for (const d of decoys) d.add(toks, given[i]!);
    }
    if (points.has(i)) {
      const p = real.pooled();
      curve.push([p.scored, p.log10P]);
      decoys.forEach((d, k) => decoyCurves[k]!.push(d.pooled().log10P));
    }
    tick?.();
  });
  acc.scored = real.pool.scored;
  const pooled = real.pooled();
  const decoyResults: DecoyResult[] = decoys.map((d, k) => {
    const p = d.pooled();
    return { index: k, keyFingerprint: d.keyFingerprint, scored: p.scored, score: p.score, lnP: p.lnP, log10P: p.log10P, curve: decoyCurves[k]! };
  });
  // Decoys with no scored tuple have p = 1 by construction (not a draw from U(0, 1)): they are
  // left out of the KS check, as in the radioactivity test (@tracemark/detector decoySummary).
  const ksOn = decoyResults.filter((d) => d.scored > 0).map((d) => Math.exp(d.lnP));
  const ks = ksOn.length >= 2 ? ksUniform(ksOn) : null;
  const lnAlpha = Math.log(o.alpha);

  // Heatmap: the most marked responses (smallest per-text p; ties by transcript order).
  const order = perResponse
    .map((r, i) => ({ i, lnP: r.lnP, scored: r.scored }))
    .filter((r) => r.scored > 0)
    .sort((a, b) => a.lnP - b.lnP || a.i - b.i)
    .slice(0, o.heatmap);
  const heatmap: HeatmapEntry[] = order.map(({ i }) => {
    const text = s.records[i]!.response;
    const toks = responses[i]!;
    const r = real.scorer.score(toks, { dedup: true, exclude: real.exclusion(given[i]!), perToken: true });
    const off = tokenizer.charOffsets(text, toks);
    const n = Math.min(toks.length, o.heatmapTokens);
    const marks: HeatmapEntry['marks'] = [];
    for (let j = 0; j < n; j++) {
      const sc = r.scores![j]!;
      marks.push([off[j]!, off[j + 1]!, r.flags![j]!, Number.isNaN(sc) ? null : sc]);
    }
    return { promptId: s.records[i]!.promptId, lnP: perResponse[i]!.lnP, log10P: lnToLog10(perResponse[i]!.lnP), text: text.slice(0, off[n]!), truncated: n < toks.length, marks };
  });

  return {
    name: s.name,
    transcript: s.transcript,
    transcriptSha256: s.transcriptSha256,
    responses: s.records.length,
    accounting: acc,
    pooled,
    holmLnP: pooled.lnP,
    holmLog10P: pooled.log10P,
    verdict: 'not-detected',
    curve,
    perResponse,
    decoys: decoyResults,
    decoyKs: ks ? { n: ks.n, statistic: ks.statistic, pValue: ks.pValue, method: ks.method } : null,
    decoysAtLeastAsSmall: decoyResults.filter((d) => d.lnP <= pooled.lnP).length,
    decoysDetected: decoyResults.filter((d) => d.lnP <= lnAlpha).length,
    heatmap,
    ...(real.model instanceof Watermark ? {} : { engineStatistic: pooledEngineStatistic(real.model, responses) }),
  };
}

export { FLAG_NAMES };
