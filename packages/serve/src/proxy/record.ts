/**
 * Ledger rows of a proxied response, one per choice: account, time, the upstream's
 * model and response id, the request parameters, the SHA-256 of the text the caller
 * received, its length in tokens of the spec's tokenizer, and the upstream's token ids
 * when it returned them. No window hashes yet: the upstream's ids are stored as they came,
 * and `ledger export-filter` refuses a selection of proxied rows (it would select nothing)
 * rather than write an empty filter.
 *
 * finish_reason: the upstream's, or 'incomplete' for a stream that was cut after some
 * of its text had been forwarded (the caller got a prefix and an error, never [DONE]).
 */
import { sha256Hex } from '@tracemark/detector';
import type { ResponseRecord } from '../ledger/store.js';
import type { Account } from '../server/apikeys.js';
import type { ChoiceState, ResponseAccumulator } from './accumulate.js';
import type { ProxyRequest } from './request.js';

export const INCOMPLETE = 'incomplete';

/** Counts tokens with the spec's tokenizer. */
export type TokenCounter = (text: string) => number;

export function recordsOf(
  req: ProxyRequest,
  acc: ResponseAccumulator,
  account: Account,
  responseId: string,
  count: TokenCounter,
  opts: { incomplete?: boolean; fallbackModel: string },
): ResponseRecord[] {
  const created = new Date();
  const promptCache = new Map<number, { sha: string; tokens: number }>();
  const promptOf = (c: ChoiceState): { sha: string; tokens: number } => {
    const i = Math.min(Math.floor(c.index / req.n), req.prompts.length - 1);
    let p = promptCache.get(i);
    if (!p) promptCache.set(i, (p = { sha: sha256Hex(req.prompts[i]!), tokens: count(req.prompts[i]!) }));
    return p;
  };
  const out: ResponseRecord[] = [];
  for (const c of acc.list()) {
    if (opts.incomplete && c.text.length === 0 && c.tokenIds === null) continue; // nothing of it left the proxy
    const p = promptOf(c);
    out.push({
      responseId,
      choice: c.index,
      account: account.account,
      accountId: account.accountId,
      created,
      modelId: acc.model ?? opts.fallbackModel,
      endpoint: req.endpoint,
      finishReason: opts.incomplete ? INCOMPLETE : (c.finishReason ?? 'unknown'),
      textSha256: sha256Hex(c.text),
      promptSha256: p.sha,
      promptTokens: p.tokens,
      completionTokens: count(c.text),
      windows: [],
      params: req.params,
      upstreamId: acc.upstreamId,
      tokenIds: c.tokenIds === null ? null : Uint32Array.from(c.tokenIds),
    });
  }
  return out;
}
