/**
 * Versioned ledger migrations. A ledger records its schema version in `meta.schema`;
 * `openForWriting` brings an older ledger up to LEDGER_SCHEMA_VERSION in one
 * transaction (all steps or none), `openForReading` reads any supported version as is.
 *
 *   1  the watermarking server's ledger (docs/SERVE.md §4)
 *   2  + responses.params (the request parameters as JSON, prompt and messages left
 *        out), responses.upstream_id (the id the upstream engine gave the response),
 *        responses.token_ids (the upstream's completion token ids, u32 little-endian),
 *        all nullable: written by the upstream proxy (`serve --upstream`), NULL for
 *        rows of the watermarking server (but params where `--min-temperature`
 *        raised the request's temperature) and rows migrated from version 1.
 */
import type Database from 'better-sqlite3';

export const LEDGER_SCHEMA_VERSION = 2;
export const OLDEST_SCHEMA_VERSION = 1;

/** Columns added after version 1 (also in the CREATE TABLE of a new ledger). */
export const V2_COLUMNS = 'params TEXT, upstream_id TEXT, token_ids BLOB';

const STEPS: Record<number, string[]> = {
  2: ['ALTER TABLE responses ADD COLUMN params TEXT', 'ALTER TABLE responses ADD COLUMN upstream_id TEXT', 'ALTER TABLE responses ADD COLUMN token_ids BLOB'],
};

/** The version a ledger's meta table states (null: no meta / no schema row). */
export function storedSchemaVersion(db: Database.Database): number | null {
  try {
    const row = db.prepare("SELECT v FROM meta WHERE k = 'schema'").get() as { v: string } | undefined;
    return row === undefined ? null : Number(row.v);
  } catch {
    return null;
  }
}

/** Migrate a writable ledger from `from` to LEDGER_SCHEMA_VERSION, atomically. */
export function migrate(db: Database.Database, from: number): void {
  if (from >= LEDGER_SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let v = from + 1; v <= LEDGER_SCHEMA_VERSION; v++) for (const sql of STEPS[v] ?? []) db.exec(sql);
    db.prepare("UPDATE meta SET v = ? WHERE k = 'schema'").run(String(LEDGER_SCHEMA_VERSION));
  })();
}

/** Little-endian u32 token ids as a BLOB (null stays null). */
export function packIds(ids: Uint32Array | null | undefined): Buffer | null {
  if (ids === null || ids === undefined) return null;
  const b = Buffer.alloc(ids.length * 4);
  for (let i = 0; i < ids.length; i++) b.writeUInt32LE(ids[i]!, i * 4);
  return b;
}

export function unpackIds(b: Buffer | null | undefined): Uint32Array | null {
  if (b === null || b === undefined) return null;
  const out = new Uint32Array(b.length >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = b.readUInt32LE(i * 4);
  return out;
}
