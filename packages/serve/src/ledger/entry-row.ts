/**
 * A `responses` row → LedgerEntry, for both backends: the same columns in SQLite and
 * PostgreSQL. Integer (int8) columns arrive as numbers from better-sqlite3 and as decimal
 * strings from node-postgres (they may exceed 2^53); seq, account ids and times fit a
 * double and become numbers either way.
 */
import { unpackIds } from './migrate.js';
import type { LedgerEntry } from './store.js';

export const ENTRY_COLUMNS =
  'seq, response_id, choice, account, account_id, created_at, created_ms, spec_id, model_id, endpoint, finish_reason, text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count';
/** Schema ≥ 2 adds the proxy's columns. */
export const V2_ENTRY_COLUMNS = `${ENTRY_COLUMNS}, params, upstream_id, token_ids`;

export interface EntryRow {
  seq: number | string;
  response_id: string;
  choice: number;
  account: string;
  account_id: number | string | null;
  created_at: string;
  created_ms: number | string;
  spec_id: string;
  model_id: string;
  endpoint: string;
  finish_reason: string;
  text_sha256: string;
  prompt_sha256: string;
  prompt_tokens: number;
  completion_tokens: number;
  window_count: number;
  params?: string | null;
  upstream_id?: string | null;
  token_ids?: Buffer | null;
}

export function toEntry(r: EntryRow): LedgerEntry {
  return {
    seq: Number(r.seq),
    responseId: r.response_id,
    choice: r.choice,
    account: r.account,
    accountId: r.account_id === null ? null : Number(r.account_id),
    createdAt: r.created_at,
    createdMs: Number(r.created_ms),
    specId: r.spec_id,
    modelId: r.model_id,
    endpoint: r.endpoint,
    finishReason: r.finish_reason,
    textSha256: r.text_sha256,
    promptSha256: r.prompt_sha256,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    windowCount: r.window_count,
    ...(r.params !== undefined ? { params: r.params, upstreamId: r.upstream_id ?? null, tokenIds: unpackIds(r.token_ids) } : {}),
  };
}
