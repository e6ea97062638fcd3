/**
 * The inputs of a serving process, read from files and checked: the spec, the key
 * (which must match the spec's fingerprint), the API keys → accounts, and the
 * ledger opened for writing bound to this spec. Errors are CliErrors carrying the
 * exit code `tracemark serve` uses; warnings go to `warn`.
 */
import { existsSync, statSync } from 'node:fs';
import { canonicalJson, isEngineSpec, Watermark, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { CliError, EXIT_FAILURE, loadAnyKey, loadAnySpec, readTextFile, specId, warn as stderrWarn, warnIfShared } from '@tracemark/detector';
import { Ledger } from '../ledger/ledger.js';
import { LedgerError } from '../ledger/store.js';
import { ApiKeys } from '../server/apikeys.js';
import { checkEngineMarking, type EngineMarking } from '../server/engine.js';

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
  /** Tracemark's own spec (version 1) or an engine spec (version 2, emulated). */
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  /** Exactly one of wm (tracemark's spec) and engine (an engine spec). */
  wm: Watermark | null;
  engine: EngineMarking | null;
  /** SHA-256 of the canonical spec JSON. */
  specId: string;
  apiKeys: ApiKeys | null;
  ledger: Ledger | null;
}

export function openServeInputs(f: ServeInputFiles): ServeInputs {
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

  let ledger: Ledger | null = null;
  if (f.ledger !== undefined) {
    warnIfLedgerShared(f.ledger, warn);
    try {
      ledger = Ledger.openForWriting(f.ledger, { specId: id, keyFingerprint: key.fingerprint, specJson: canonicalJson(spec) });
    } catch (e) {
      throw new CliError((e as Error).message, e instanceof LedgerError ? 2 : EXIT_FAILURE);
    }
  } else {
    warn('no --ledger: responses are watermarked but not recorded (no provenance, no filters)');
  }
  return { spec, key, wm, engine, specId: id, apiKeys, ledger };
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
