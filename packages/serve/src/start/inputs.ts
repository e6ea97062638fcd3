/**
 * The inputs of a serving process, read from files and checked: the spec, the key
 * (which must match the spec's fingerprint), the API keys → accounts, and the
 * ledger opened for writing bound to this spec. Errors are CliErrors carrying the
 * exit code `tracemark serve` uses; warnings go to `warn`.
 */
import { existsSync, statSync } from 'node:fs';
import { canonicalJson, isEngineSpec, Watermark, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { CliError, EXIT_FAILURE, loadAnyKey, loadAnySpec, readTextFile, specId, warn as stderrWarn, warnIfShared } from '@tracemark/detector';
import { isPostgresUrl, openLedgerStore, redactLocation } from '../ledger/open.js';
import { PgLedger } from '../ledger/pg/pg-ledger.js';
import { LedgerError, type LedgerStore } from '../ledger/store.js';
import { ApiKeys } from '../server/apikeys.js';
import { checkEngineMarking, type EngineMarking } from '../server/engine.js';

export interface ServeInputFiles {
  /** Watermark spec (JSON). */
  spec: string;
  /** Key file (must match the spec fingerprint). */
  key: string;
  /** API keys → accounts (JSON); without it every request is "anonymous". */
  keys?: string;
  /** Provenance ledger: a SQLite file (created if missing) or a postgres:// URL; without it nothing is recorded. */
  ledger?: string;
  /** Warnings (default: `tracemark: warning: …` on stderr). */
  warn?: (message: string) => void;
}

export interface ServeInputs {
  /** Tracemark's own spec (version 1) or an engine spec (version 2, emulated). */
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  /** Exactly one of wm (tracemark's spec) and engine (an engine spec). */
  wm: Watermark | null;
  engine: EngineMarking | null;
  /** SHA-256 of the canonical spec JSON. */
  specId: string;
  apiKeys: ApiKeys | null;
  ledger: LedgerStore | null;
}

export async function openServeInputs(f: ServeInputFiles): Promise<ServeInputs> {
  const warn = f.warn ?? stderrWarn;
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  let wm: Watermark | null = null;
  let engine: EngineMarking | null = null;
  if (isEngineSpec(spec)) {
    engine = { spec, key: key as EngineKey };
    try {
      checkEngineMarking(engine);
    } catch (e) {
      throw new CliError(`${f.spec}: ${spec.engine.scheme} cannot be served: ${(e as Error).message}`);
    }
  } else {
    wm = new Watermark(spec, key as WatermarkKey);
  }
  const id = specId(spec);
  const payloadBits = !isEngineSpec(spec) && spec.payload ? spec.payload.bits : null;
  let apiKeys: ApiKeys | null = null;
  if (f.keys !== undefined) {
    apiKeys = ApiKeys.parse(readTextFile(f.keys, 'API keys file'), f.keys, payloadBits);
    warnIfShared(f.keys, 'API keys file');
  } else {
    warn('no --keys file: every request is accepted as account "anonymous"');
  }

  let ledger: LedgerStore | null = null;
  if (f.ledger !== undefined) {
    if (!isPostgresUrl(f.ledger)) warnIfLedgerShared(f.ledger, warn);
    try {
      ledger = await openLedgerStore(f.ledger, { binding: { specId: id, keyFingerprint: key.fingerprint, specJson: canonicalJson(spec) }, warn });
    } catch (e) {
      // The message names the ledger by redactLocation (never a URL's password).
      throw new CliError((e as Error).message, e instanceof LedgerError ? 2 : EXIT_FAILURE);
    }
    if (ledger instanceof PgLedger) await warnIfNotDurable(ledger, warn);
  } else {
    warn('no --ledger: responses are watermarked but not recorded (no provenance, no filters)');
  }
  return { spec, key, wm, engine, specId: id, apiKeys, ledger };
}

/** The ledger as it may be printed (a PostgreSQL URL without its password), or null. */
export function ledgerLabel(f: ServeInputFiles): string | null {
  return f.ledger === undefined ? null : redactLocation(f.ledger);
}

/**
 * PostgreSQL commits before the WAL is flushed with synchronous_commit off / local…: a
 * row then survives a replica's kill -9 but not PostgreSQL crashing (docs/SERVE.md §10).
 * Say so once at start: the operator chose it, tracemark does not hide it.
 */
async function warnIfNotDurable(ledger: PgLedger, warn: (message: string) => void): Promise<void> {
  try {
    const d = await ledger.durability();
    if (d.fsync !== 'on') warn(`ledger ${ledger.location}: PostgreSQL runs with fsync=${d.fsync}: committed rows can be lost if PostgreSQL or its machine crashes`);
    else if (d.synchronousCommit !== 'on' && d.synchronousCommit !== 'remote_apply' && d.synchronousCommit !== 'remote_write') {
      warn(`ledger ${ledger.location}: synchronous_commit=${d.synchronousCommit}: rows survive a replica's kill -9, but the last commits can be lost if PostgreSQL crashes (docs/SERVE.md §10)`);
    }
  } catch {
    /* the first write reports a broken connection */
  }
}

/**
 * A new ledger is created 0600 (Ledger.openForWriting); an existing one keeps its mode,
 * so warn, like for the key files, when it or its -wal/-shm file is readable by group
 * or others: it says which account received which text.
 */
function warnIfLedgerShared(path: string, warn: (message: string) => void): void {
  if (process.platform === 'win32') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (!existsSync(file)) continue;
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077) warn(`ledger file ${file} is readable by group/others (mode ${mode.toString(8)}); chmod 600 it`);
    } catch {
      /* opening the ledger reports what is wrong */
    }
  }
}
