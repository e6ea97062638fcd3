/**
 * The connections of one PostgreSQL ledger: a small node-postgres pool (the writer
 * commits one batch at a time; readers query one at a time), named `tracemark` in
 * pg_stat_activity. Two safeguards for a database shared by replicas:
 *  - a connection that drops while idle (PostgreSQL restarted) is reported through
 *    `warn` (URL redacted) and replaced on next use, instead of an unhandled 'error'
 *    event ending the process;
 *  - every session gets `idle_in_transaction_session_timeout`: writes are single
 *    statements (rows.ts), so they never hold a lock across a round trip, but opening
 *    a ledger is a transaction (migrations, binding) under an advisory lock; a replica
 *    that stalls inside it (stopped, swapping) is cut off by PostgreSQL after that
 *    time instead of blocking the others for good.
 */
import pg from 'pg';
import { redactLocation, scrub } from './url.js';

export interface PgLedgerOptions {
  /** Warnings (an idle connection lost, …); default: none. */
  warn?: (message: string) => void;
  /** Connections kept (default 2: the writer's and a reader's). */
  maxConnections?: number;
  /** idle_in_transaction_session_timeout of every session (ms; default 10 000). */
  idleInTransactionTimeoutMs?: number;
}

export function openPool(url: string, o: PgLedgerOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: o.maxConnections ?? 2, connectionTimeoutMillis: 10_000, application_name: 'tracemark' });
  pool.on('error', (e) => o.warn?.(`ledger ${redactLocation(url)}: connection lost: ${scrub(e.message, url)}`));
  const idle = Math.max(1, Math.round(o.idleInTransactionTimeoutMs ?? 10_000));
  // Queued on the new connection before the query that asked for it.
  pool.on('connect', (c) => void c.query(`SET idle_in_transaction_session_timeout = ${idle}`).catch(() => {}));
  return pool;
}

/**
 * A connection for a transaction. While it is checked out, the pool no longer listens
 * for its 'error' event (a connection ended by PostgreSQL between two of our statements):
 * listen here, so it surfaces as the next statement's failure instead of ending the process.
 */
export async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const c = await pool.connect();
  c.on('error', ignore);
  return c;
}

/** Return it (`broken`: drop it instead of reusing it). */
export function checkIn(c: pg.PoolClient, broken = false): void {
  c.removeListener('error', ignore);
  c.release(broken);
}

function ignore(): void {}
