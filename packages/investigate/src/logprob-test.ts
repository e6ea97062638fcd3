/**
 * The logprob test over a probe transcript made with `probe --logprobs k` (detector's
 * LogprobRun; docs/RADIOACTIVITY.md §4c). The API speaks in token strings and bytes, the
 * watermark in token ids of the spec's tokenizer: each returned token is mapped back to its
 * id (tiktoken: the exact bytes → rank lookup; hf:<dir>: the token text when it encodes to
 * exactly one token). A token that does not map is unknown (−1): positions whose window
 * contains one are skipped, and an unknown alternative's mass joins the rest (credited at
 * the null mean). Both depend on the tokenizer alone, never on the key, so the test stays
 * valid; they are counted in the report.
 */
import { isTiktokenEncoding, LogprobRun, listingFromLogprobs, type LogprobItem, type LogprobSummary, type NextTokenListing, type TextTokenizer, type WindowSet } from '@tracemark/detector';
import { tiktoken } from '@tracemark/lm';
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import type { EvidenceRecord, TokenLogprobs } from './probe/transcript.js';

/** Token text/bytes → id of the spec's tokenizer, or −1 (cached per distinct token). */
export function tokenIdResolver(tokenizerId: string, tokenizer: TextTokenizer): (t: { token: string; bytes: number[] | null }) => number {
  const cache = new Map<string, number>();
  const tk = isTiktokenEncoding(tokenizerId) ? tiktoken(tokenizerId) : null;
  const utf8 = new TextEncoder();
  return (t) => {
    const bytes = t.bytes ?? Array.from(utf8.encode(t.token));
    const k = bytes.join(',');
    let id = cache.get(k);
    if (id !== undefined) return id;
    id = -1;
    if (tk) {
      try {
        id = tk.encode_single_token(Uint8Array.from(bytes));
      } catch {
        id = -1;
      }
    } else {
      const ids = tokenizer.encode(t.token).tokens;
      if (ids.length === 1) id = ids[0]!;
    }
    cache.set(k, id);
    return id;
  };
}

export interface LogprobItemStats {
  tokens: number;
  /** Generated tokens that did not map to an id. */
  unknownTokens: number;
  /** Listed alternatives that did not map to an id (their mass joins the rest). */
  unknownAlternatives: number;
}

/** One transcript line's logprobs as the detector's LogprobItem. */
export function logprobItem(
  r: Pick<EvidenceRecord, 'promptId' | 'given'> & { logprobs: TokenLogprobs[] },
  tokenizer: TextTokenizer,
  resolve: (t: { token: string; bytes: number[] | null }) => number,
  stats: LogprobItemStats,
): LogprobItem {
  const tokens = r.logprobs.map((e) => resolve(e));
  const listings: (NextTokenListing | null)[] = r.logprobs.map((e, i) => {
    const ids: number[] = [], lps: number[] = [];
    for (const a of e.top) {
      const id = resolve(a);
      if (id < 0) stats.unknownAlternatives++;
      if (a.logprob === null) continue;
      ids.push(id);
      lps.push(a.logprob);
    }
    // the sampled token's own logprob is one more listed token when the top-k missed it
    if (tokens[i]! >= 0 && e.logprob !== null) {
      ids.push(tokens[i]!);
      lps.push(e.logprob);
    }
    return ids.length > 0 ? listingFromLogprobs(ids, lps) : null;
  });
  stats.tokens += tokens.length;
  stats.unknownTokens += tokens.filter((t) => t < 0).length;
  return { id: r.promptId, tokens, listings, given: r.given.map((g) => tokenizer.encode(g).tokens) };
}

export interface LogprobReport extends LogprobSummary {
  /** Transcript lines that carry logprobs, of all lines. */
  responses: { withLogprobs: number; total: number };
  tokens: LogprobItemStats;
}

/** The logprob test on the lines of one transcript that carry logprobs (null when none does). */
export function logprobTest(o: {
  spec: WatermarkSpec;
  key: WatermarkKey;
  decoyKeys: readonly WatermarkKey[];
  alpha: number;
  records: readonly EvidenceRecord[];
  tokenizer: TextTokenizer;
  /** A window filter (supervised / unsupervised, as for the sampled-token test). */
  filter?: WindowSet;
  filterName?: string;
}): LogprobReport | null {
  const lines = o.records.filter((r): r is EvidenceRecord & { logprobs: TokenLogprobs[] } => r.logprobs !== undefined);
  if (lines.length === 0) return null;
  const resolve = tokenIdResolver(o.spec.tokenizer, o.tokenizer);
  const stats: LogprobItemStats = { tokens: 0, unknownTokens: 0, unknownAlternatives: 0 };
  const run = new LogprobRun({ spec: o.spec, key: o.key, decoyKeys: o.decoyKeys, alpha: o.alpha, ...(o.filter ? { filter: o.filter, filterName: o.filterName ?? 'filter' } : {}) });
  for (const r of lines) run.add(logprobItem(r, o.tokenizer, resolve, stats));
  return { ...run.summary(), responses: { withLogprobs: lines.length, total: o.records.length }, tokens: stats };
}
