/**
 * Reading the server's input files: spec, watermark key, API keys. Every failure is
 * a CliError with a one-line message naming the file; no message ever contains key
 * material (watermark key bytes or API keys).
 */
import { readFileSync, statSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalSpecJson, parseKeyFile, parseSpecJson, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { CliError } from './errors.js';

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${what} not found: ${path}`);
    if (code === 'EISDIR') throw new CliError(`${what} is a directory, not a file: ${path}`);
    throw new CliError(`cannot read ${what} ${path}: ${code ?? (e as Error).message}`);
  }
}

export function loadSpecFile(path: string): WatermarkSpec {
  const text = readTextFile(path, 'spec file');
  try {
    return parseSpecJson(text);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
}

/** The spec id the ledger and bundles cite: SHA-256 (hex) of the canonical spec JSON. */
export function specId(spec: WatermarkSpec): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalSpecJson(spec))));
}

/**
 * Load the watermark key and check it against the spec's fingerprint. The messages
 * from parseKeyFile name fingerprints (public) but never key bytes.
 */
export function loadKeyFile(path: string, spec: WatermarkSpec, warn: (msg: string) => void): WatermarkKey {
  const text = readTextFile(path, 'key file');
  let key: WatermarkKey;
  try {
    key = parseKeyFile(text, spec.keyFingerprint);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  warnIfShared(path, 'key file', warn);
  return key;
}

/** Secrets should be 0600: say so (without failing) when group or others can read them. */
export function warnIfShared(path: string, what: string, warn: (msg: string) => void): void {
  if (process.platform === 'win32') return;
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) warn(`${what} ${path} is readable by group/others (mode ${mode.toString(8)}); chmod 600 it`);
  } catch {
    // Already read successfully; a failing stat is not worth refusing to start.
  }
}

export { sha256Hex } from '../ledger/hash.js';
