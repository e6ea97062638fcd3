/**
 * PostgreSQL rows ↔ ledger values. node-postgres returns bigint (int8) columns as
 * decimal strings (they may exceed 2^53); seq, account ids and times fit a double and
 * become numbers, window hashes become BigInts (their u64 bits, as in SQLite).
 */
import type { ResponseRecord } from '../store.js';
import { packIds } from '../migrate.js';
import { packU64, sortUnique, toSigned } from '../u64.js';

export { ENTRY_COLUMNS, V2_ENTRY_COLUMNS, toEntry, type EntryRow as PgRow } from '../entry-row.js';

/**
 * One response and its windows in one statement: take the write lock (a no-op when the
 * transaction already holds it), insert the row (seq drawn from the identity sequence
 * only once the lock is held), insert its windows not seen before. Explicit casts:
 * INSERT … SELECT does not infer parameter types from the target columns.
 */
export const INSERT_RESPONSE = `
WITH lk AS (SELECT pg_advisory_xact_lock($1::bigint)),
r AS (
  INSERT INTO responses (response_id, choice, account, account_id, created_at, created_ms, spec_id, model_id, endpoint,
    finish_reason, text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows, params, upstream_id, token_ids)
  SELECT $2::text, $3::integer, $4::text, $5::bigint, $6::text, $7::bigint, $8::text, $9::text, $10::text,
    $11::text, $12::text, $13::text, $14::integer, $15::integer, $16::integer, $17::bytea, $18::text, $19::text, $20::bytea
  FROM lk
  RETURNING seq
),
w AS (
  INSERT INTO windows (hash, first_seq)
  SELECT h, r.seq FROM r, unnest($21::bigint[]) AS h
  ON CONFLICT (hash) DO NOTHING
)
SELECT seq FROM r`;

/** The parameters of INSERT_RESPONSE for one record. */
export function insertParams(lockKey: string, specId: string, r: ResponseRecord): unknown[] {
  const windows = sortUnique(r.windows);
  const signed: string[] = new Array<string>(windows.length);
  for (let i = 0; i < windows.length; i++) signed[i] = toSigned(windows[i]!).toString();
  return [
    lockKey,
    r.responseId,
    r.choice,
    r.account,
    r.accountId,
    r.created.toISOString(),
    r.created.getTime(),
    specId,
    r.modelId,
    r.endpoint,
    r.finishReason,
    r.textSha256,
    r.promptSha256,
    r.promptTokens,
    r.completionTokens,
    windows.length,
    Buffer.from(packU64(windows).buffer),
    r.params ?? null,
    r.upstreamId ?? null,
    packIds(r.tokenIds),
    signed,
  ];
}

/**
 * Several responses and their windows in one statement (a group commit): one round trip
 * whatever the batch size, so the write lock is never held across round trips. Rows are
 * inserted in batch order (ORDER BY ord), so seqs follow it; a window repeated in the
 * batch is claimed by its smallest seq (min), as if the rows had been inserted one by one.
 */
export const INSERT_BATCH = `
WITH lk AS (SELECT pg_advisory_xact_lock($1::bigint)),
input AS (
  SELECT * FROM unnest($2::text[], $3::integer[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[],
      $11::text[], $12::text[], $13::integer[], $14::integer[], $15::integer[], $16::bytea[], $17::text[], $18::text[], $19::bytea[])
    WITH ORDINALITY AS t(response_id, choice, account, account_id, created_at, created_ms, model_id, endpoint, finish_reason,
      text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows, params, upstream_id, token_ids, ord)
),
r AS (
  INSERT INTO responses (response_id, choice, account, account_id, created_at, created_ms, spec_id, model_id, endpoint,
    finish_reason, text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows, params, upstream_id, token_ids)
  SELECT response_id, choice, account, account_id, created_at, created_ms, $20::text, model_id, endpoint,
    finish_reason, text_sha256, prompt_sha256, prompt_tokens, completion_tokens, window_count, windows, params, upstream_id, token_ids
  FROM input, lk ORDER BY ord
  RETURNING seq, response_id, choice
),
w AS (
  INSERT INTO windows (hash, first_seq)
  SELECT wi.h, min(r.seq) FROM r JOIN input i USING (response_id, choice) JOIN unnest($21::bigint[], $22::bigint[]) AS wi(o, h) ON wi.o = i.ord
  GROUP BY wi.h
  ON CONFLICT (hash) DO NOTHING
)
SELECT seq, response_id, choice FROM r`;

/** The parameters of INSERT_BATCH: one array per column, and (row ordinal, hash) pairs. */
export function batchParams(lockKey: string, specId: string, rs: readonly ResponseRecord[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  const ords: number[] = [];
  const hashes: string[] = [];
  rs.forEach((r, k) => {
    const one = insertParams(lockKey, specId, r);
    // insertParams: [lock, responseId, choice, account, accountId, createdAt, createdMs, specId, modelId, …, tokenIds, windows]
    const row = [...one.slice(1, 7), ...one.slice(8, 20)];
    row.forEach((v, c) => cols[c]!.push(v));
    for (const h of one[20] as string[]) {
      ords.push(k + 1);
      hashes.push(h);
    }
  });
  return [lockKey, ...cols, specId, ords, hashes];
}
