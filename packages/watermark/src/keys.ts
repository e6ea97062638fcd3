/**
 * Watermark keys: 256-bit secrets, their public fingerprint, per-purpose subkeys.
 *
 * The secret never leaves this object by accident: toString, toJSON and Node's
 * inspect all print a redacted form. Only `exportKeyFile` writes the bytes.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { fromHex, toHex, utf8 } from './bytes.js';
import { sipKeyFromBytes, type SipKey } from './siphash.js';

export const KEY_BYTES = 32;
const HKDF_SALT = utf8('tracemark/v1');

/** Purposes of the 128-bit SipHash subkeys; the info string is `siphash/<purpose>`. */
export const SUBKEY_PURPOSES = [
  'context', // window seeds
  'kgw', // KGW green lists (and payload colours)
  'gumbel', // Gumbel-max / exponential uniforms
  'synthid', // tournament g-values
  'unigram', // the fixed unigram green list
  'payload-position', // which payload digit a step carries
] as const;
export type SubkeyPurpose = (typeof SUBKEY_PURPOSES)[number];

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class WatermarkKey {
  readonly #bytes: Uint8Array;
  /** Public: 16 bytes of HKDF output, hex. Safe to print, store and publish. */
  readonly fingerprint: string;
  readonly #subkeys = new Map<SubkeyPurpose, SipKey>();

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_BYTES) {
      throw new Error(`a watermark key is ${KEY_BYTES} bytes (256 bits)`);
    }
    this.#bytes = Uint8Array.from(bytes);
    this.fingerprint = keyFingerprint(this.#bytes);
  }

  /** 128-bit SipHash subkey: HKDF-SHA256(ikm=key, salt="tracemark/v1", info="siphash/<purpose>", 16). */
  subkey(purpose: SubkeyPurpose): SipKey {
    let k = this.#subkeys.get(purpose);
    if (!k) {
      k = sipKeyFromBytes(deriveSubkeyBytes(this.#bytes, purpose));
      this.#subkeys.set(purpose, k);
    }
    return k;
  }

  /** The secret bytes, for writing the key file. Callers must not log them. */
  secretBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  toString(): string {
    return `WatermarkKey(fingerprint=${this.fingerprint})`;
  }
  toJSON(): { fingerprint: string } {
    return { fingerprint: this.fingerprint };
  }
  [inspectSymbol](): string {
    return this.toString();
  }
}

export function deriveSubkeyBytes(key: Uint8Array, purpose: string): Uint8Array {
  return hkdf(sha256, key, HKDF_SALT, utf8(`siphash/${purpose}`), 16);
}

/** fingerprint = hex(HKDF-SHA256(ikm=key, salt="tracemark/v1", info="fingerprint", 16)). */
export function keyFingerprint(key: Uint8Array): string {
  return toHex(hkdf(sha256, key, HKDF_SALT, utf8('fingerprint'), 16));
}

/** A fresh key from the platform CSPRNG (Web Crypto, present in browsers and Node ≥ 19). */
export function generateKey(random: (n: number) => Uint8Array = cryptoRandomBytes): WatermarkKey {
  return new WatermarkKey(random(KEY_BYTES));
}

function cryptoRandomBytes(n: number): Uint8Array {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (!c) throw new Error('no secure random source (globalThis.crypto) available');
  return c.getRandomValues(new Uint8Array(n));
}

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex characters`);

/** The key file (JSON, written 0600 by the CLI). */
export const KeyFileSchema = z.strictObject({
  type: z.literal('tracemark-key', { error: 'not a tracemark key file (type must be "tracemark-key")' }),
  version: z.literal(1, { error: 'unsupported key file version (this build reads version 1)' }),
  key: hex(KEY_BYTES),
  fingerprint: hex(16),
  created: z.string().optional(),
});
export type KeyFile = z.infer<typeof KeyFileSchema>;

export function exportKeyFile(key: WatermarkKey, created: Date = new Date()): KeyFile {
  return {
    type: 'tracemark-key',
    version: 1,
    key: toHex(key.secretBytes()),
    fingerprint: key.fingerprint,
    created: created.toISOString(),
  };
}

/**
 * Parse a key file's JSON text. With `expectedFingerprint` (from the spec) a
 * different key is refused. Error messages never contain key material.
 */
export function parseKeyFile(text: string, expectedFingerprint?: string): WatermarkKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('key file is not valid JSON');
  }
  const r = KeyFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`invalid key file: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const key = new WatermarkKey(fromHex(r.data.key));
  if (key.fingerprint !== r.data.fingerprint) {
    throw new Error('key file is corrupt: its fingerprint does not match its key');
  }
  if (expectedFingerprint !== undefined) assertKeyMatches(key, expectedFingerprint);
  return key;
}

export interface KeyMatchOptions {
  /** Whose keyFingerprint the key is checked against, as it reads in the message (default "the spec's"). */
  what?: string;
  /** The error to throw with the message (default a plain Error): callers keep their own error types. */
  error?: (message: string) => Error;
}

/**
 * Refuse a key that is not the one a spec (or bundle) names. Every wrong-key check
 * goes through here so the message is the same everywhere; it shows fingerprints
 * only, never key material.
 */
export function assertKeyMatches(key: { readonly fingerprint: string }, expectedFingerprint: string, opts: KeyMatchOptions = {}): void {
  if (key.fingerprint === expectedFingerprint) return;
  const message = `wrong key: key fingerprint ${key.fingerprint} does not match ${opts.what ?? "the spec's"} keyFingerprint ${expectedFingerprint}`;
  throw opts.error ? opts.error(message) : new Error(message);
}
