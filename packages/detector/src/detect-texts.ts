/**
 * Verdicts for a batch of texts (what `tracemark detect` prints): each text gets the
 * exact test of its scheme on its deduplicated (window, token) tuples — windows of
 * the texts given to the generator excluded — and "detected" when p ≤ α. Zero-bit
 * specs also get the watermarked spans (windowed tests, Bonferroni-corrected over the
 * windows scanned), which describe the text and never change its verdict; payload
 * specs get the decoded id with its p-value corrected over all ids.
 *
 * An empty text is a verdict (nothing to test, p = 1), not an error; any other
 * detector refusal is a usage error naming the text's source.
 */
import type { EngineStatistic } from '@tracemark/watermark';
import { hasPayload, schemeNameOf, type SchemeName } from './detect.js';
import { Detector, type DetectionResult, type Normalization } from './detect.js';
import { normalizeText } from './normalize.js';
import { DetectorError } from './errors.js';
import type { LocalizationResult } from './localize.js';
import { specId } from './io/keys.js';
import { usage } from './io/errors.js';
import type { PayloadMethod } from './payload.js';
import type { TestName } from './pvalue.js';

/** One text to test; `source` names it in results and errors ("arg:1", "file.jsonl:3"). */
export interface TextItem {
  source: string;
  id?: string;
  text: string;
  /** The prompt this text answered: its windows are not scored. */
  prompt?: string;
}

export interface DetectTextsOptions {
  /** Significance level of the verdict, in (0, 0.5]. */
  alpha: number;
  /** Texts given to the generator (prompts, system prompts) whose windows are not scored. */
  exclude?: readonly string[];
  /** Search zero-bit texts for watermarked spans (default true). */
  spans?: boolean;
}

/** The test's numbers for one text (the DetectionResult fields a report shows). */
export interface TextTest {
  tokens: number;
  scored: number;
  duplicates: number;
  excluded: number;
  noContext: number;
  tooShort: boolean;
  test: TestName | 'payload';
  score: number;
  expected: number;
  z: number;
  lnP: number;
  log10P: number;
  pValue: string;
}

export interface TextSpan {
  startToken: number;
  endToken: number;
  charStart?: number;
  charEnd?: number;
  scored: number;
  score: number;
  lnP: number;
  log10P: number;
  pValue: string;
}

export interface TextPayload {
  message: string;
  messageHex: string;
  matched: number;
  scored: number;
  lnP: number;
  log10P: number;
  pValue: string;
  method: PayloadMethod;
}

export type TextVerdict = {
  source: string;
  id?: string;
  verdict: 'detected' | 'not-detected';
} & TextTest & {
    localization?: { windowsScanned: number; correction: 'bonferroni'; lnP: number; log10P: number; pValue: string };
    spans?: TextSpan[];
    payload?: TextPayload;
    /** Engine specs: the engine's own detector on the same text. */
    engine?: EngineStatistic;
    /** The text changed under normalisation ('auto'): both versions tested, the smaller p doubled. */
    normalization?: Normalization;
  };

export interface DetectTextsResult {
  alpha: number;
  specId: string;
  scheme: SchemeName;
  keyFingerprint: string;
  texts: number;
  detected: number;
  results: TextVerdict[];
}

/** The result of a text with no tokens: nothing scored, p = 1. */
export function emptyTextTest(detector: Pick<Detector, 'spec' | 'nullModel'>): TextTest {
  return {
    tokens: 0,
    scored: 0,
    duplicates: 0,
    excluded: 0,
    noContext: 0,
    tooShort: true,
    test: hasPayload(detector.spec) ? 'payload' : detector.nullModel.kind === 'gamma' ? 'gamma' : 'binomial',
    score: 0,
    expected: 0,
    z: 0,
    lnP: 0,
    log10P: 0,
    pValue: '1',
  };
}

/** The test fields of a DetectionResult, in report order (no marks, no payload details). */
export function textTest(r: DetectionResult): TextTest {
  return {
    tokens: r.tokens,
    scored: r.scored,
    duplicates: r.duplicates,
    excluded: r.excluded,
    noContext: r.noContext,
    tooShort: r.tooShort,
    test: r.test,
    score: r.score,
    expected: r.expected,
    z: r.z,
    lnP: r.lnP,
    log10P: r.log10P,
    pValue: r.pValue,
  };
}

/**
 * One text's verdict from its detection result (undefined: an empty text, `base` then says
 * p = 1): the exact test, the payload summary, the engine's own statistic, and — when
 * `localize` is given and something was scored — the spans, searched at α capped at 0.5
 * like every level here. Shared by text and token-id input.
 */
export function textVerdict(
  item: { source: string; id?: string },
  r: DetectionResult | undefined,
  base: TextTest,
  lnAlpha: number,
  localize: ((alpha: number) => LocalizationResult) | undefined,
  alpha: number,
): TextVerdict {
  const out: TextVerdict = {
    source: item.source,
    ...(item.id !== undefined ? { id: item.id } : {}),
    verdict: base.lnP <= lnAlpha ? 'detected' : 'not-detected',
    ...base,
  };
  if (r?.payload) {
    const p = r.payload;
    out.payload = { message: p.message, messageHex: p.messageHex, matched: p.matched, scored: p.scored, lnP: p.lnP, log10P: p.log10P, pValue: p.pValue, method: p.method };
  }
  if (r?.engine) out.engine = r.engine;
  if (r?.normalization) out.normalization = r.normalization;
  if (localize && r && r.scored > 0) {
    const loc = localize(Math.min(alpha, 0.5));
    out.localization = { windowsScanned: loc.windowsScanned, correction: loc.correction, lnP: loc.lnP, log10P: loc.log10P, pValue: loc.pValue };
    out.spans = loc.spans.map((s) => ({
      startToken: s.startToken,
      endToken: s.endToken,
      ...(s.charStart !== undefined ? { charStart: s.charStart } : {}),
      ...(s.charEnd !== undefined ? { charEnd: s.charEnd } : {}),
      scored: s.scored,
      score: s.score,
      lnP: s.lnP,
      log10P: s.log10P,
      pValue: s.pValue,
    }));
  }
  return out;
}

/** Test every text with `detector` (which the caller owns and disposes). */
export function detectTexts(detector: Detector, items: readonly TextItem[], options: DetectTextsOptions): DetectTextsResult {
  const { spec } = detector;
  const { alpha } = options;
  const exclude = options.exclude ?? [];
  const lnAlpha = Math.log(alpha);
  // Normalising detection excludes the windows of the normalised given texts too (excluding
  // more is always safe), since the normalised version of the text is scored against them.
  const normalizing = detector.normalize !== false;
  const given = (texts: readonly string[]): string[] => (normalizing ? [...texts, ...texts.map(normalizeText).filter((t, i) => t !== texts[i])] : [...texts]);
  const globalExclude = exclude.length > 0 ? detector.exclusion(given(exclude)) : undefined;
  const results = items.map((it): TextVerdict => {
    const exclusion = it.prompt !== undefined ? detector.exclusion(given([...exclude, it.prompt])) : globalExclude;
    // engine specs that key on the prompt (SGLang, HF KGW) also read their first contexts from it
    const opts = { ...(exclusion ? { exclude: exclusion } : {}), ...(it.prompt !== undefined && detector.engineReader ? { prompt: it.prompt } : {}) };
    let base: TextTest;
    let r: DetectionResult | undefined;
    try {
      r = detector.detect(it.text, opts);
      base = textTest(r);
    } catch (e) {
      if (e instanceof DetectorError && e.code === 'EMPTY_TEXT') base = emptyTextTest(detector);
      else if (e instanceof DetectorError) throw usage(`${it.source}: ${e.message}`);
      else throw e;
    }
    // spans read the version detect reported: say which, rather than let 'auto' test both again
    const normalize = r?.normalization ? r.normalization.scored === 'normalized' : detector.normalize === true;
    return textVerdict(it, r, base, lnAlpha, options.spans !== false && !hasPayload(spec) ? (a) => detector.localize(it.text, { ...opts, alpha: a, normalize }) : undefined, alpha);
  });
  return {
    alpha,
    specId: specId(spec),
    scheme: schemeNameOf(spec),
    keyFingerprint: spec.keyFingerprint,
    texts: results.length,
    detected: results.filter((r) => r.verdict === 'detected').length,
    results,
  };
}
