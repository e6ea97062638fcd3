/**
 * The PostgreSQL ledger's schema and its versioned migrations. The tables are the
 * SQLite ledger's (docs/SERVE.md §4), with PostgreSQL types: window hashes (u64) as
 * `bigint` holding the same bits signed (BigInt.asIntN(64, w), as SQLite's INTEGER),
 * packed windows and token ids as `bytea`, seq from an identity sequence.
 *
 * Every migration applied is a row of `tracemark_migrations` (version, description,
 * time); `meta.schema` states the version too, as in SQLite. Migrations run in one
 * transaction under an advisory lock, so replicas starting at once neither race nor
 * half-migrate: all steps or none.
 */
import type { PoolClient } from 'pg';
import { LEDGER_SCHEMA_VERSION, OLDEST_SCHEMA_VERSION } from '../migrate.js';

export { LEDGER_SCHEMA_VERSION, OLDEST_SCHEMA_VERSION };

/** Advisory lock keys (arbitrary constants, namespaced by these tables' purpose). */
export const MIGRATION_LOCK = '7301001';
/** Held by every writing transaction from before its seq is drawn until its commit: seq order = commit order. */
export const WRITE_LOCK = '7301002';

interface Step {
  description: string;
  sql: string[];
}

const STEPS: Record<number, Step> = {
  1: {
    description: 'meta, responses, windows (the watermarking server ledger)',
    sql: [
      'CREATE TABLE meta (k text PRIMARY KEY, v text NOT NULL)',
      `CREATE TABLE responses (
        seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        response_id       text    NOT NULL,
        choice            integer NOT NULL,
        account           text    NOT NULL,
        account_id        bigint,
        created_at        text    NOT NULL,
        created_ms        bigint  NOT NULL,
        spec_id           text    NOT NULL,
        model_id          text    NOT NULL,
        endpoint          text    NOT NULL,
        finish_reason     text    NOT NULL,
        text_sha256       text    NOT NULL,
        prompt_sha256     text    NOT NULL,
        prompt_tokens     integer NOT NULL,
        completion_tokens integer NOT NULL,
        window_count      integer NOT NULL,
        windows           bytea   NOT NULL,
        UNIQUE (response_id, choice)
      )`,
      'CREATE INDEX responses_by_text ON responses (text_sha256)',
      'CREATE INDEX responses_by_account ON responses (account, created_ms)',
      'CREATE TABLE windows (hash bigint PRIMARY KEY, first_seq bigint NOT NULL)',
    ],
  },
  2: {
    description: 'responses.params, upstream_id, token_ids (the upstream proxy)',
    sql: ['ALTER TABLE responses ADD COLUMN params text, ADD COLUMN upstream_id text, ADD COLUMN token_ids bytea'],
  },
};

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS tracemark_migrations (
  version     integer PRIMARY KEY,
  description text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
)`;

/** The newest version applied (0: none), inside the caller's transaction. */
async function appliedVersion(c: PoolClient): Promise<number> {
  const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM tracemark_migrations');
  return r.rows[0]?.v ?? 0;
}

/**
 * Bring the database to `target` (default LEDGER_SCHEMA_VERSION; lower only to build old
 * ledgers in tests) inside the caller's transaction (which holds MIGRATION_LOCK).
 * Returns the version found before. A newer version than this build's is refused.
 */
export async function migrateTo(c: PoolClient, target = LEDGER_SCHEMA_VERSION): Promise<number> {
  await c.query(MIGRATIONS_TABLE);
  const from = await appliedVersion(c);
  if (from > LEDGER_SCHEMA_VERSION) throw new Error(unsupported(from));
  for (let v = from + 1; v <= target; v++) {
    const step = STEPS[v]!;
    for (const sql of step.sql) await c.query(sql);
    await c.query('INSERT INTO tracemark_migrations (version, description) VALUES ($1, $2)', [v, step.description]);
  }
  return from;
}

/** The version a database holds without changing it (null: no ledger tables). */
export async function readVersion(c: { query: PoolClient['query'] }): Promise<number | null> {
  const t = await c.query<{ t: string | null }>("SELECT to_regclass('tracemark_migrations')::text AS t");
  if (t.rows[0]?.t === null || t.rows[0]?.t === undefined) return null;
  const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM tracemark_migrations');
  const v = r.rows[0]?.v ?? null;
  if (v !== null && (v < OLDEST_SCHEMA_VERSION || v > LEDGER_SCHEMA_VERSION)) throw new Error(unsupported(v));
  return v;
}

export function unsupported(v: number): string {
  return `ledger schema version ${v} is not supported (this build reads ${OLDEST_SCHEMA_VERSION}–${LEDGER_SCHEMA_VERSION})`;
}
