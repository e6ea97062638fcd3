/**
 * The inputs of a serving process, read from files and checked: the spec, the key
 * (which must match the spec's fingerprint), the API keys → accounts, and the
 * ledger opened for writing bound to this spec. Errors are CliErrors carrying the
 * exit code `tracemark serve` uses; warnings go to `warn`.
 */
import { existsSync, statSync } from 'node:fs';
import { canonicalSpecJson, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { CliError, EXIT_FAILURE, loadKey, loadSpec, readTextFile, specId, warn as stderrWarn, warnIfShared } from '@tracemark/detector';
import { Ledger } from '../ledger/ledger.js';
import { LedgerError } from '../ledger/store.js';
import { ApiKeys } from '../server/apikeys.js';

export interface ServeInputFiles {
  /** Watermark spec (JSON). */
  spec: string;
  /** Key file (must match the spec fingerprint). */
  key: string;
  /** API keys → accounts (JSON); without it every request is "anonymous". */
  keys?: string;
  /** Provenance ledger (SQLite), created if missing; without it nothing is recorded. */
  ledger?: string;
  /** Warnings (default: `tracemark: warning: …` on stderr). */
  warn?: (message: string) => void;
}

export interface ServeInputs {
  spec: WatermarkSpec;
  key: WatermarkKey;
  wm: Watermark;
  /** SHA-256 of the canonical spec JSON. */
  specId: string;
  apiKeys: ApiKeys | null;
  ledger: Ledger | null;
}

export function openServeInputs(f: ServeInputFiles): ServeInputs {
  const warn = f.warn ?? stderrWarn;
  const spec = loadSpec(f.spec);
  const key = loadKey(f.key, spec);
  const wm = new Watermark(spec, key);
  const id = specId(spec);
  let apiKeys: ApiKeys | null = null;
  if (f.keys !== undefined) {
    apiKeys = ApiKeys.parse(readTextFile(f.keys, 'API keys file'), f.keys, spec.payload ? spec.payload.bits : null);
    warnIfShared(f.keys, 'API keys file');
  } else {
    warn('no --keys file: every request is accepted as account "anonymous"');
  }

  let ledger: Ledger | null = null;
  if (f.ledger !== undefined) {
    warnIfLedgerShared(f.ledger, warn);
    try {
      ledger = Ledger.openForWriting(f.ledger, { specId: id, keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
    } catch (e) {
      throw new CliError((e as Error).message, e instanceof LedgerError ? 2 : EXIT_FAILURE);
    }
  } else {
    warn('no --ledger: responses are watermarked but not recorded (no provenance, no filters)');
  }
  return { spec, key, wm, specId: id, apiKeys, ledger };
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
