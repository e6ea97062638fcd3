/**
 * Teacher forcing for the open-model test: run the suspect model over our texts and hand
 * its next-token distribution at each new window to the detector's OpenModelRun.
 *
 * Texts are prompt ‖ response token ids; only response positions are read (the windows
 * our watermark acted on). A position is read when its raw context (the last max(1, h)
 * tokens) is new — the model is asked once per window, in text order — and, with a
 * supervised filter, when its window under the real key is in the filter (ledger windows
 * we served). Neither choice looks at the keyed PRF values, so the test stays valid.
 *
 * The suspect's distribution is read at temperature 1 untruncated; its `listSize` most
 * likely listed tokens are kept and everything else becomes the rest mass (credited at
 * the null mean by the test: less power, never less validity).
 */
import { OpenModelRun, type NextTokenListing, type OpenModelSummary, type WindowSet } from '@tracemark/detector';
import { Watermark, type SparseDistribution, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import type { LanguageModel } from '@tracemark/lm';

export interface ForcedText {
  /** Prompt tokens then response tokens. */
  tokens: ArrayLike<number>;
  /** Index of the first response token. */
  start: number;
}

export interface TeacherForceOptions {
  spec: WatermarkSpec;
  key: WatermarkKey;
  /** The suspect (its `distributionAsync` is used when it has one: ONNX models). */
  suspect: LanguageModel & { distributionAsync?: (p: ArrayLike<number>, n: number, o: object) => Promise<SparseDistribution> };
  texts: readonly ForcedText[];
  /** Supervised: only windows (real key) in this set are read. */
  filter?: WindowSet | undefined;
  decoyKeys?: readonly WatermarkKey[];
  alpha?: number;
  /** Listed tokens kept per distribution (default 64). */
  listSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface TeacherForceResult {
  summary: OpenModelSummary;
  texts: number;
  /** Response positions seen, and those skipped by the filter. */
  responseTokens: number;
  unselected: number;
}

export async function teacherForce(o: TeacherForceOptions): Promise<TeacherForceResult> {
  const run = new OpenModelRun({ spec: o.spec, key: o.key, ...(o.decoyKeys ? { decoyKeys: o.decoyKeys } : {}), ...(o.alpha !== undefined ? { alpha: o.alpha } : {}) });
  const wm = o.filter ? new Watermark(o.spec, o.key) : undefined;
  const listSize = o.listSize ?? 64;
  if (!(Number.isInteger(listSize) && listSize >= 1)) throw new RangeError(`listSize must be an integer ≥ 1 (got ${listSize})`);
  const w = { hi: 0, lo: 0 };
  let responseTokens = 0, unselected = 0, done = 0;
  o.onProgress?.(0, o.texts.length);
  for (const t of o.texts) {
    const limit = Math.min(t.tokens.length, o.suspect.maxContext ?? Infinity);
    for (let end = Math.max(1, t.start); end < limit; end++) {
      responseTokens++;
      if (wm && !(wm.windowSeed(t.tokens, end, w) && o.filter!.has(w.hi >>> 0, w.lo >>> 0))) {
        unselected++;
        continue;
      }
      if (!run.wants(t.tokens, end)) continue;
      const d = o.suspect.distributionAsync ? await o.suspect.distributionAsync(t.tokens, end, { temperature: 1 }) : o.suspect.distribution(t.tokens, end, { temperature: 1 });
      run.add(t.tokens, end, topListing(d, listSize));
    }
    o.onProgress?.(++done, o.texts.length);
  }
  return { summary: run.summary(), texts: o.texts.length, responseTokens, unselected };
}

/** The k most likely listed tokens; the rest of the listing joins the rest mass (Σ probs + rest = 1). */
export function topListing(d: SparseDistribution, k: number): NextTokenListing {
  const n = d.ids.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d.probs[b]! - d.probs[a]! || d.ids[a]! - d.ids[b]!);
  const m = Math.min(k, n);
  const ids = new Int32Array(m);
  const probs = new Float64Array(m);
  let listed = 0;
  for (let j = 0; j < m; j++) {
    ids[j] = d.ids[order[j]!]!;
    listed += probs[j] = d.probs[order[j]!]!;
  }
  let total = listed + d.restMass;
  for (let j = m; j < n; j++) total += d.probs[order[j]!]!;
  // normalise (listings sum to 1 up to rounding); the unlisted part is the rest
  for (let j = 0; j < m; j++) probs[j]! /= total;
  return { ids, probs, restMass: Math.max(0, 1 - listed / total) };
}
