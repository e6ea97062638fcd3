// vLLM watermark readers (vllm/v1/watermarking): key handling, per-position readings and
// the detectors' own statistics for gumbel, dual_key_gumbel, red_green and synthid.
import { sha256 } from '@noble/hashes/sha2.js';
import { glibcLog1p, sleefLog1p } from './libm.js';
import { gammaincc, vllmBinomialSurvival, vllmGammaSurvival } from './stats.js';
import { checkRange, toBigInt, wordsOf, type U64Words } from './u64.js';
import { vllmContexts, type VllmPositionContext } from './vllm-context.js';
import { philoxTextWords, rememberedWords } from './vllm-words.js';
import {
  absorbContext,
  hmacKeyBytes,
  hmacWord,
  philoxLegacyWord,
  philoxWord,
  vllmPadded,
  vllmScoredFlags,
  vllmUniform,
  type VllmPrfName,
} from './vllm-prf.js';

const MAX_U64 = (1n << 64n) - 1n;

/** (context, token) -> u32 word under one key and PRF. */
export type VllmWordFn = (context: ArrayLike<number>, token: number, stream?: bigint) => number;

export function vllmWordFn(prf: VllmPrfName, key: bigint | number | string): VllmWordFn {
  const k = toBigInt(key);
  if (prf === 'hmac_sha256') {
    const bytes = hmacKeyBytes(k);
    return (context, token) => hmacWord(bytes, context, token);
  }
  const words = wordsOf(checkRange(k, 0n, MAX_U64, 'vLLM key'));
  const state = new Uint32Array(4);
  if (prf === 'philox_legacy') return (context, token) => philoxLegacyWord(words, absorbContext(words, context, state), token);
  return (context, token, stream = 0n) => {
    const s: U64Words = stream === 0n ? { lo: 0, hi: 0 } : wordsOf(checkRange(stream, 0n, MAX_U64, 'stream'));
    return philoxWord(words, absorbContext(words, context, state), token, s);
  };
}

/** vLLM derive_watermark_key: first 8 bytes (big-endian) of SHA-256(domain || key as 8 bytes big-endian). */
export function deriveVllmKey(key: bigint | number | string, domain: 'key_a' | 'key_b' | string): bigint {
  const k = checkRange(toBigInt(key), 0n, MAX_U64, 'vLLM key');
  const d = new TextEncoder().encode(domain);
  const msg = new Uint8Array(d.length + 8);
  msg.set(d, 0);
  new DataView(msg.buffer).setBigUint64(d.length, k, false);
  return new DataView(sha256(msg).buffer).getBigUint64(0, false);
}

/** Gumbel per-token score -log1p(-u) as torch's vectorised float64 log1p (SLEEF) gives it. */
export function gumbelScore(u: number): number {
  return -sleefLog1p(-u);
}

/** The same score through glibc's log1p (torch's scalar path; what the dual-key vectors show). */
export function gumbelScoreGlibc(u: number): number {
  return -glibcLog1p(-u);
}

export interface VllmDetection {
  readonly statistic: number;
  readonly numScored: number;
  readonly pValue: number;
  readonly isWatermarked: boolean;
}

export interface VllmReaderOptions {
  readonly key: bigint | number | string;
  readonly prf?: VllmPrfName;
  readonly contextWidth?: number;
  readonly deduplicateContexts?: boolean;
  readonly pValueThreshold?: number;
}

function detection(statistic: number, numScored: number, pValue: number, threshold: number): VllmDetection {
  return { statistic, numScored, pValue, isWatermarked: pValue <= threshold };
}

export interface GumbelPosition extends VllmPositionContext {
  readonly word?: number;
  readonly uniform?: number;
  readonly score?: number;
}

/** vLLM `gumbel`: per-position uniforms and scores, S = sum, exact Gamma(n,1) tail. */
export function vllmGumbelDetect(tokens: ArrayLike<number>, o: VllmReaderOptions): { positions: GumbelPosition[]; detection: VllmDetection } {
  const word = vllmWordFn(o.prf ?? 'philox', o.key);
  const positions: GumbelPosition[] = vllmContexts(tokens, o.contextWidth ?? 4, o.deduplicateContexts ?? true).map((p) => {
    const w = word(p.context, p.token);
    const uniform = vllmUniform(w);
    return { ...p, word: w, uniform, score: gumbelScore(uniform) };
  });
  let sum = 0;
  let n = 0;
  for (const p of positions) if (p.scored) (sum += p.score!), n++;
  if (n === 0) return { positions, detection: detection(0, 0, 1, o.pValueThreshold ?? 0.01) };
  return { positions, detection: detection(sum, n, vllmGammaSurvival(sum, n), o.pValueThreshold ?? 0.01) };
}

export interface DualKeyPosition extends VllmPositionContext {
  readonly uniformA: number;
  readonly uniformB: number;
  readonly scoreA: number;
  readonly scoreB: number;
}

/**
 * vLLM `dual_key_gumbel` per-position readings under the derived sub-keys. Scores are the
 * detector's (torch's vectorised log1p); a scalar torch call gives gumbelScoreGlibc instead.
 */
export function vllmDualKeyPositions(tokens: ArrayLike<number>, o: VllmReaderOptions): DualKeyPosition[] {
  const prf = o.prf ?? 'philox';
  const wa = vllmWordFn(prf, deriveVllmKey(o.key, 'key_a'));
  const wb = vllmWordFn(prf, deriveVllmKey(o.key, 'key_b'));
  return vllmContexts(tokens, o.contextWidth ?? 4, o.deduplicateContexts ?? true).map((p) => {
    const uniformA = vllmUniform(wa(p.context, p.token));
    const uniformB = vllmUniform(wb(p.context, p.token));
    return { ...p, uniformA, uniformB, scoreA: gumbelScore(uniformA), scoreB: gumbelScore(uniformB) };
  });
}

/** Early fusion score (1-alpha) s_a + alpha s_b. */
export function dualKeyWeighted(p: { scoreA: number; scoreB: number }, alpha: number): number {
  return p.scoreA * (1 - alpha) + p.scoreB * alpha;
}

/** vLLM's dual-key p: integer Gamma tail for alpha in {0, .5, 1}, else gammaincc(n/v, S/v), v = (1-a)^2 + a^2. */
export function vllmDualKeyDetect(positions: readonly DualKeyPosition[], alpha: number, threshold = 0.01): VllmDetection {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be between 0 and 1 (got ${alpha})`);
  let sum = 0;
  let n = 0;
  for (const p of positions) if (p.scored) (sum += dualKeyWeighted(p, alpha)), n++;
  if (n === 0) return detection(0, 0, 1, threshold);
  const v = (1 - alpha) ** 2 + alpha ** 2;
  const p =
    alpha === 0 || alpha === 0.5 || alpha === 1 ? vllmGammaSurvival(sum / v, pyRound(n / v)) : gammaincc(n / v, sum / v);
  return detection(sum, n, p, threshold);
}

/** Python's round(): half to even. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface RedGreenPosition extends VllmPositionContext {
  readonly uniform: number;
}

/** vLLM `red_green` green test: u < gamma compared in float32. */
export function redGreenIsGreen(uniform: number, gamma: number): boolean {
  return uniform < Math.fround(gamma);
}

export function vllmUniformPositions(tokens: ArrayLike<number>, o: VllmReaderOptions): RedGreenPosition[] {
  const word = vllmWordFn(o.prf ?? 'philox', o.key);
  return vllmContexts(tokens, o.contextWidth ?? 4, o.deduplicateContexts ?? true).map((p) => ({
    ...p,
    uniform: vllmUniform(word(p.context, p.token)),
  }));
}

/** vLLM red_green detector: G greens among scored positions, exact Binomial(n, gamma) tail. */
export function vllmRedGreenDetect(positions: readonly RedGreenPosition[], gamma: number, threshold = 0.01): VllmDetection {
  let g = 0;
  let n = 0;
  for (const p of positions) if (p.scored) (g += redGreenIsGreen(p.uniform, gamma) ? 1 : 0), n++;
  if (n === 0) return detection(0, 0, 1, threshold);
  return detection(g, n, vllmBinomialSurvival(pyRound(g), n, gamma), threshold);
}

/** vLLM `synthid` g-values: bit l of the Philox word, l = 0..depth-1. */
export function synthidGValues(word: number, depth: number): number[] {
  const g: number[] = [];
  for (let l = 0; l < depth; l++) g.push((word >>> l) & 1);
  return g;
}

export interface SynthidPosition extends VllmPositionContext {
  readonly word: number;
}

export function vllmWordPositions(tokens: ArrayLike<number>, o: VllmReaderOptions): SynthidPosition[] {
  const word = vllmWordFn(o.prf ?? 'philox', o.key);
  return vllmContexts(tokens, o.contextWidth ?? 4, o.deduplicateContexts ?? true).map((p) => ({ ...p, word: word(p.context, p.token) }));
}

/** vLLM synthid detector: mean of n*depth g-values, exact Binomial(n*depth, 1/2) tail at round(mean*n*depth). */
export function vllmSynthidDetect(positions: readonly SynthidPosition[], depth: number, threshold = 0.01): VllmDetection {
  if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new RangeError(`depth must be in 1..32 (got ${depth})`);
  let ones = 0;
  let n = 0;
  for (const p of positions) {
    if (!p.scored) continue;
    n++;
    for (let l = 0; l < depth; l++) ones += (p.word >>> l) & 1;
  }
  if (n === 0) return detection(0, 0, 1, threshold);
  const mean = ones / (n * depth);
  return detection(mean, n, vllmBinomialSurvival(pyRound(mean * n * depth), n * depth, 0.5), threshold);
}

// ---- Fast paths: whole texts into typed arrays, the same bits as the functions above ----

export interface VllmTextWords {
  /** 1 where the position is scored (first occurrence of its context, or all without dedup). */
  readonly scored: Uint8Array;
  /** The PRF word of every position (scored or not), as the reference readers compute it. */
  readonly words: Uint32Array;
}

/** vllmContexts + vllmWordFn over a whole text, without per-position objects or strings. */
export function vllmTextWords(tokens: ArrayLike<number>, o: VllmReaderOptions): VllmTextWords {
  const width = o.contextWidth ?? 4;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`context_width must be a positive integer (got ${width})`);
  const prf = o.prf ?? 'philox';
  const n = tokens.length;
  const dedup = o.deduplicateContexts ?? true;
  const k = toBigInt(o.key);
  if (prf === 'hmac_sha256') {
    const padded = vllmPadded(tokens, width);
    const scored = vllmScoredFlags(padded, n, width, dedup);
    const bytes = hmacKeyBytes(k);
    const words = rememberedWords(`hmac_sha256:${width}:${k}`, tokens, () => {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = hmacWord(bytes, padded.subarray(i, i + width), tokens[i]!);
      return out;
    });
    return { scored, words };
  }
  const key = wordsOf(checkRange(k, 0n, MAX_U64, 'vLLM key'));
  const scored = dedup ? vllmScoredFlags(vllmPadded(tokens, width), n, width, true) : new Uint8Array(n).fill(1);
  // the WebAssembly kernel (kernel/engine-module.ts; absorbContext + philoxWord are its reference)
  return { scored, words: philoxTextWords(key, tokens, width, prf === 'philox_legacy') };
}

export interface VllmGumbelFast {
  readonly scored: Uint8Array;
  readonly uniforms: Float64Array;
  readonly scores: Float64Array;
  readonly detection: VllmDetection;
}

function gumbelOf(words: Uint32Array): { uniforms: Float64Array; scores: Float64Array } {
  const uniforms = new Float64Array(words.length);
  const scores = new Float64Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const u = vllmUniform(words[i]!);
    uniforms[i] = u;
    scores[i] = gumbelScore(u);
  }
  return { uniforms, scores };
}

/** vllmGumbelDetect's values and detection in typed arrays. */
export function vllmGumbelDetectFast(tokens: ArrayLike<number>, o: VllmReaderOptions): VllmGumbelFast {
  const { scored, words } = vllmTextWords(tokens, o);
  const { uniforms, scores } = gumbelOf(words);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < scored.length; i++) if (scored[i]) (sum += scores[i]!), n++;
  const det = n === 0 ? detection(0, 0, 1, o.pValueThreshold ?? 0.01) : detection(sum, n, vllmGammaSurvival(sum, n), o.pValueThreshold ?? 0.01);
  return { scored, uniforms, scores, detection: det };
}

export interface VllmDualKeyFast {
  readonly scored: Uint8Array;
  readonly uniformsA: Float64Array;
  readonly uniformsB: Float64Array;
  readonly scoresA: Float64Array;
  readonly scoresB: Float64Array;
  readonly detection: VllmDetection;
}

/** vllmDualKeyPositions + vllmDualKeyDetect in typed arrays. */
export function vllmDualKeyDetectFast(tokens: ArrayLike<number>, o: VllmReaderOptions, alpha: number): VllmDualKeyFast {
  const a = vllmTextWords(tokens, { ...o, key: deriveVllmKey(o.key, 'key_a') });
  const b = vllmTextWords(tokens, { ...o, key: deriveVllmKey(o.key, 'key_b') });
  const ga = gumbelOf(a.words);
  const gb = gumbelOf(b.words);
  const scored = a.scored;
  const det = dualKeyFromArrays(scored, ga.scores, gb.scores, alpha, o.pValueThreshold ?? 0.01);
  return { scored, uniformsA: ga.uniforms, uniformsB: gb.uniforms, scoresA: ga.scores, scoresB: gb.scores, detection: det };
}

/** vllmDualKeyDetect's sum (same order, same expression) and p over typed arrays. */
function dualKeyFromArrays(scored: Uint8Array, sa: Float64Array, sb: Float64Array, alpha: number, threshold: number): VllmDetection {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be between 0 and 1 (got ${alpha})`);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < scored.length; i++) if (scored[i]) (sum += sa[i]! * (1 - alpha) + sb[i]! * alpha), n++;
  if (n === 0) return detection(0, 0, 1, threshold);
  const v = (1 - alpha) ** 2 + alpha ** 2;
  const p =
    alpha === 0 || alpha === 0.5 || alpha === 1 ? vllmGammaSurvival(sum / v, pyRound(n / v)) : gammaincc(n / v, sum / v);
  return detection(sum, n, p, threshold);
}

/** vllmUniformPositions + vllmRedGreenDetect in typed arrays (green: 1 / 0 per position). */
export function vllmRedGreenDetectFast(
  tokens: ArrayLike<number>,
  o: VllmReaderOptions,
  gamma: number,
): { scored: Uint8Array; uniforms: Float64Array; green: Uint8Array; detection: VllmDetection } {
  const { scored, words } = vllmTextWords(tokens, o);
  const uniforms = new Float64Array(words.length);
  const green = new Uint8Array(words.length);
  let g = 0;
  let n = 0;
  for (let i = 0; i < words.length; i++) {
    uniforms[i] = vllmUniform(words[i]!);
    green[i] = redGreenIsGreen(uniforms[i]!, gamma) ? 1 : 0;
    if (scored[i]) (g += green[i]!), n++;
  }
  const threshold = o.pValueThreshold ?? 0.01;
  const det = n === 0 ? detection(0, 0, 1, threshold) : detection(g, n, vllmBinomialSurvival(pyRound(g), n, gamma), threshold);
  return { scored, uniforms, green, detection: det };
}

/** vllmWordPositions + vllmSynthidDetect in typed arrays (the words carry the g-values). */
export function vllmSynthidDetectFast(
  tokens: ArrayLike<number>,
  o: VllmReaderOptions,
  depth: number,
): VllmTextWords & { readonly detection: VllmDetection } {
  if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new RangeError(`depth must be in 1..32 (got ${depth})`);
  const tw = vllmTextWords(tokens, o);
  const threshold = o.pValueThreshold ?? 0.01;
  const mask = depth === 32 ? 0xffffffff : (1 << depth) - 1; // g-values: bits 0..depth-1
  let ones = 0;
  let n = 0;
  for (let i = 0; i < tw.words.length; i++) {
    if (!tw.scored[i]) continue;
    n++;
    let x = tw.words[i]! & mask;
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    ones += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  if (n === 0) return { ...tw, detection: detection(0, 0, 1, threshold) };
  const mean = ones / (n * depth);
  return { ...tw, detection: detection(mean, n, vllmBinomialSurvival(pyRound(mean * n * depth), n * depth, 0.5), threshold) };
}
