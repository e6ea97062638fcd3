/**
 * Loading the spec, the watermark key and the evidence-signing key, with one-line
 * errors naming the file. No message ever contains key material: only fingerprints.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  canonicalJson,
  engineKeyProblem,
  isEngineKey,
  isEngineSpec,
  parseAnyKeyFile,
  parseAnySpecJson,
  parseKeyFile,
  type AnySpec,
  type EngineKey,
  type WatermarkKey,
  type WatermarkSpec,
} from '@tracemark/watermark';
import { usage } from './errors.js';
import { readTextFile, warnIfShared } from './files.js';

export function loadSpec(path: string): WatermarkSpec {
  const spec = loadAnySpec(path);
  if (isEngineSpec(spec)) {
    throw usage(`${path}: an engine spec (${spec.engine.scheme}); this command reads tracemark's own specs (version 1) only — engine specs work with detect, scan, plan, radioactivity, report, verify and probe --until-evidence`);
  }
  return spec;
}

/** A tracemark spec (version 1) or an engine spec (version 2). */
export function loadAnySpec(path: string): AnySpec {
  const text = readTextFile(path, 'spec file');
  try {
    return parseAnySpecJson(text);
  } catch (e) {
    throw usage(`${path}: ${(e as Error).message}`);
  }
}

/** The key for any spec: a tracemark key for version 1, an engine key (kind and range checked) for version 2. */
export function loadAnyKey(path: string, spec: AnySpec): WatermarkKey | EngineKey {
  const text = readTextFile(path, 'key file');
  let key: WatermarkKey | EngineKey;
  try {
    key = parseAnyKeyFile(text, spec.keyFingerprint);
    if (isEngineSpec(spec) !== isEngineKey(key)) throw new Error(`the spec is ${isEngineSpec(spec) ? 'an engine spec' : "tracemark's own"} but this is ${isEngineKey(key) ? 'an engine key file' : 'a tracemark key file'}`);
    if (isEngineSpec(spec)) {
      const problem = engineKeyProblem(spec.engine, key as EngineKey);
      if (problem) throw new Error(`wrong key for ${spec.engine.scheme}: ${problem}`);
    }
  } catch (e) {
    throw usage(`${path}: ${(e as Error).message}`);
  }
  warnIfShared(path, 'key file');
  return key;
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
export function specId(spec: AnySpec): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalJson(spec))));
}

export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === 'string' ? new TextEncoder().encode(data) : data));
}
