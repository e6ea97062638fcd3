/**
 * Loading the spec, the watermark key and the evidence-signing key, with one-line
 * errors naming the file. No message ever contains key material: only fingerprints.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalSpecJson, parseKeyFile, parseSpecJson, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { usage } from './errors.js';
import { readTextFile, warnIfShared } from './files.js';

export function loadSpec(path: string): WatermarkSpec {
  const text = readTextFile(path, 'spec file');
  try {
    return parseSpecJson(text);
  } catch (e) {
    throw usage(`${path}: ${(e as Error).message}`);
  }
}

/** The key, checked against the spec's fingerprint when a spec is given. */
export function loadKey(path: string, spec?: WatermarkSpec): WatermarkKey {
  const text = readTextFile(path, 'key file');
  let key: WatermarkKey;
  try {
    key = parseKeyFile(text, spec?.keyFingerprint);
  } catch (e) {
    throw usage(`${path}: ${(e as Error).message}`);
  }
  warnIfShared(path, 'key file');
  return key;
}

/** SHA-256 (hex) of the canonical spec JSON: the id ledgers and bundles cite. */
export function specId(spec: WatermarkSpec): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalSpecJson(spec))));
}

export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === 'string' ? new TextEncoder().encode(data) : data));
}
