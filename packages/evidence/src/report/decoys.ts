/**
 * A set of decoy keys from a public seed: negative controls scored on the same
 * evidence as the real key. A decoy that happens to share the real key's fingerprint
 * is skipped (it would not be a control), so the set always has `count` other keys.
 *
 * Decoy i reads the HKDF-SHA256 stream of (seed, salt "tracemark/decoy/v1", info
 * "decoy/<i>"): a tracemark key is its first 32 bytes (`decoyKey`); for an engine spec
 * the engine's own key generator (`generateEngineKey`) draws its random bytes from the
 * same stream, so decoys are keys of the engine's kind and range, reproducible from the seed.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { generateEngineKey, isEngineSpec, WatermarkKey, type AnySpec, type EngineKey } from '@tracemark/watermark';

const DECOY_SALT = new TextEncoder().encode('tracemark/decoy/v1');
/** Bytes of one decoy's stream: enough for the largest engine key (64 SynthID values × 8 bytes). */
const STREAM_BYTES = 1024;

/** Tracemark decoy key i = HKDF-SHA256(seed, salt "tracemark/decoy/v1", info "decoy/<i>", 32 bytes). */
export function decoyKey(seedHex: string, i: number): WatermarkKey {
  return new WatermarkKey(hkdf(sha256, hexToBytes(seedHex), DECOY_SALT, new TextEncoder().encode(`decoy/${i}`), 32));
}

/** The random bytes of decoy i, served in order (HKDF output is prefix-stable: its first 32 bytes are `decoyKey`'s). */
export function decoyStream(seedHex: string, i: number): (n: number) => Uint8Array {
  const bytes = hkdf(sha256, hexToBytes(seedHex), DECOY_SALT, new TextEncoder().encode(`decoy/${i}`), STREAM_BYTES);
  let at = 0;
  return (n: number) => {
    if (at + n > bytes.length) throw new RangeError(`decoy stream exhausted (${bytes.length} bytes)`);
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
}

/** Decoy i for a spec: a tracemark key for version 1, a key of the engine's kind for an engine spec. */
export function decoyKeyFor(spec: AnySpec, seedHex: string, i: number): WatermarkKey | EngineKey {
  return isEngineSpec(spec) ? generateEngineKey(spec.engine, decoyStream(seedHex, i)) : decoyKey(seedHex, i);
}

export function decoyKeys(seedHex: string, count: number, real: { readonly fingerprint: string }): WatermarkKey[];
export function decoyKeys(seedHex: string, count: number, real: { readonly fingerprint: string }, spec: AnySpec): (WatermarkKey | EngineKey)[];
export function decoyKeys(seedHex: string, count: number, real: { readonly fingerprint: string }, spec?: AnySpec): (WatermarkKey | EngineKey)[] {
  const keys: (WatermarkKey | EngineKey)[] = [];
  for (let i = 0; keys.length < count; i++) {
    const d = spec ? decoyKeyFor(spec, seedHex, i) : decoyKey(seedHex, i);
    if (d.fingerprint !== real.fingerprint) keys.push(d);
  }
  return keys;
}
