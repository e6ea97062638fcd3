/**
 * Copy-paste: k spans cut from a watermarked text are pasted into a human text
 * (`host`) so that they make up a fraction f of the result's tokens — the
 * "watermarked paragraph inside an essay" case, where whole-text detection
 * dilutes the signal and windowed detection should find it.
 *
 * With H the host's tokens, the pasted total is W = round(f/(1−f)·H) tokens
 * (when the watermarked text has fewer, all of it is used and the host is cut
 * to W(1−f)/f tokens). The watermarked words are divided into k consecutive
 * segments of equal token mass; from each, a run of ≈ W/k tokens of whole words
 * is taken at a random position. The spans go, in order, to k distinct random
 * word boundaries of the host. Tokens are counted with the tokenizer
 * (o200k_base by default); word alignment makes the share approximate (± a few
 * tokens per span).
 */
import { encode } from '@tracemark/lm';
import { AttackError, checkText, randInt, splitWords, type AttackOutcome, type Rng } from './common.js';

export interface CopyPasteParams {
  /** Share f of the result's tokens that come from the watermarked text, in (0, 1). */
  fraction: number;
  /** Number k of watermarked spans (≥ 1). */
  spans: number;
  /** The human text the spans are pasted into. */
  host: string;
  /** tiktoken encoding used to count tokens (default o200k_base). */
  encoding?: string;
}

export interface CopyPasteOutcome extends AttackOutcome {
  /** Character ranges of the pasted spans in the result. */
  ranges: [number, number][];
  /** Tokens pasted (sum over spans, each counted alone). */
  pastedTokens: number;
}

interface Piece {
  text: string; // word + its following whitespace
  tokens: number;
}

function pieces(text: string, enc: string): Piece[] {
  const ws = splitWords(text);
  return ws.items.map((it) => {
    const t = it.w + it.s;
    return { text: t, tokens: encode(enc, ` ${it.w}`).length };
  });
}

export function copyPasteDetailed(text: string, params: CopyPasteParams, rng: Rng): CopyPasteOutcome {
  checkText('copy-paste', text);
  const f = params?.fraction;
  const k = params?.spans;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) throw new AttackError(`copy-paste: fraction must be in (0, 1) (got ${JSON.stringify(f)})`);
  if (!Number.isInteger(k) || k < 1) throw new AttackError(`copy-paste: spans must be a positive integer (got ${JSON.stringify(k)})`);
  if (typeof params.host !== 'string') throw new AttackError('copy-paste: host must be a string (the human text to paste into)');
  const enc = params.encoding ?? 'o200k_base';
  const wm = pieces(text, enc);
  let host = pieces(params.host, enc);
  const wmTotal = wm.reduce((a, p) => a + p.tokens, 0);
  const hostTotal = host.reduce((a, p) => a + p.tokens, 0);
  if (wmTotal === 0 || host.length === 0) {
    const joined = [params.host.trimEnd(), text.trim()].filter((s) => s.length > 0).join(' ');
    return { text: joined, eligible: encode(enc, joined).length, changed: wmTotal, ranges: [], pastedTokens: wmTotal };
  }
  let W = Math.round((f / (1 - f)) * hostTotal);
  if (W > wmTotal) {
    W = wmTotal;
    const keep = Math.round((W * (1 - f)) / f);
    let acc = 0, n = 0;
    while (n < host.length && acc + host[n]!.tokens <= keep) acc += host[n++]!.tokens;
    host = host.slice(0, Math.max(1, n));
  }
  const spans = Math.min(k, wm.length);
  const per = W / spans;
  // segment boundaries (equal token mass) over the watermarked words
  const segStart: number[] = [0];
  {
    let acc = 0, j = 1;
    for (let i = 0; i < wm.length && j < spans; i++) {
      acc += wm[i]!.tokens;
      if (acc >= (j * wmTotal) / spans) {
        segStart.push(i + 1);
        j++;
      }
    }
    while (segStart.length < spans) segStart.push(wm.length);
  }
  segStart.push(wm.length);
  const chosen: string[] = [];
  let pasted = 0;
  for (let s = 0; s < spans; s++) {
    const a = segStart[s]!, b = Math.max(segStart[s + 1]!, a + 1);
    const seg = wm.slice(a, Math.min(b, wm.length));
    // the longest prefix length (in words) starting at each position that stays ≤ per tokens (at least one word)
    const starts: number[] = [];
    for (let i = 0; i < seg.length; i++) {
      let acc = 0, j = i;
      while (j < seg.length && acc + seg[j]!.tokens <= per + 0.5) acc += seg[j++]!.tokens;
      if (acc >= per - 2 || i === 0) starts.push(i);
    }
    const i0 = starts[randInt(rng, starts.length)]!;
    let acc = 0, j = i0;
    while (j < seg.length && (j === i0 || acc + seg[j]!.tokens <= per + 0.5)) acc += seg[j++]!.tokens;
    pasted += acc;
    chosen.push(
      seg
        .slice(i0, j)
        .map((p) => p.text)
        .join('')
        .trim(),
    );
  }
  // k distinct insertion points among the host's word boundaries 0..host.length
  const slots = host.length + 1;
  const points = new Set<number>();
  while (points.size < Math.min(spans, slots)) points.add(randInt(rng, slots));
  const sorted = [...points].sort((x, y) => x - y);
  while (sorted.length < spans) sorted.push(host.length);
  let out = params.host.match(/^\s*/)![0];
  const ranges: [number, number][] = [];
  let hi = 0;
  const sep = (): void => {
    if (out.length > 0 && !/\s$/.test(out)) out += ' ';
  };
  for (let s = 0; s < spans; s++) {
    while (hi < sorted[s]!) out += host[hi++]!.text;
    sep();
    const start = out.length;
    out += chosen[s]!;
    ranges.push([start, out.length]);
    out += ' ';
  }
  while (hi < host.length) out += host[hi++]!.text;
  out = out.replace(/\s+$/, '');
  return { text: out, eligible: encode(enc, out).length, changed: pasted, ranges, pastedTokens: pasted };
}

export function copyPaste(text: string, params: CopyPasteParams, rng: Rng): string {
  return copyPasteDetailed(text, params, rng).text;
}
