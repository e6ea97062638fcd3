/**
 * Engine keys: the secrets as the engines take them — vLLM/TRT-LLM integers (0..2^64-1,
 * HMAC up to 2^256-1, SBW below 2^63), SGLang hex words (one, or two for dual key), HF and
 * lm-watermarking hashing keys, SynthID key lists — in a key file of version 2.
 *
 * The fingerprint is public (specs, ledgers, reports cite it). It is a plain SHA-256 of
 * the key material, so it is only as secret as the key is random: a small integer key
 * such as vLLM's example 42 or HF's default 15485863 is recovered from its fingerprint
 * by trying keys. Use 64 random bits (`generateEngineKey`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { toHex, utf8 } from './bytes.js';
import { engineOf, type EngineScheme, type EngineSchemeName } from './engine-spec.js';
import { assertKeyMatches, parseKeyFile, type WatermarkKey } from './keys.js';

export type EngineFamily = ReturnType<typeof engineOf>;
export const ENGINE_FAMILIES = ['vllm', 'sglang', 'hf', 'lm-watermarking', 'synthid-text'] as const;

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const U64_MAX = (1n << 64n) - 1n;
const I63_MAX = (1n << 63n) - 1n;

export class EngineKey {
  readonly family: EngineFamily;
  /** Public: 16 bytes of SHA-256 over the family and the values, hex. */
  readonly fingerprint: string;
  readonly #values: readonly bigint[];
  /** 'list' for SynthID key lists, else 'integer' (SGLang: 'hex', the same numbers written in hex). */
  readonly form: 'integer' | 'hex' | 'list';

  constructor(family: EngineFamily, form: 'integer' | 'hex' | 'list', values: readonly bigint[]) {
    if (values.length === 0) throw new Error('an engine key needs at least one value');
    this.family = family;
    this.form = form;
    this.#values = Object.freeze([...values]);
    this.fingerprint = engineKeyFingerprint(family, form, this.#values);
  }

  /** The secret values (vLLM/HF: [key]; SGLang: [keyA] or [keyA, keyB]; SynthID: the list). Never log them. */
  secretValues(): readonly bigint[] {
    return this.#values;
  }

  toString(): string {
    return `EngineKey(${this.family}, fingerprint=${this.fingerprint})`;
  }
  toJSON(): { fingerprint: string } {
    return { fingerprint: this.fingerprint };
  }
  [inspectSymbol](): string {
    return this.toString();
  }
}

export function engineKeyFingerprint(family: EngineFamily, form: string, values: readonly bigint[]): string {
  return toHex(sha256(utf8(`tracemark/engine-key/v2\0${family}\0${form}\0${values.map(String).join(',')}`)).subarray(0, 16));
}

const decimal = z.string({ error: 'must be a decimal integer string' }).regex(/^-?\d{1,80}$/, 'must be a decimal integer string');
const hexWord = z.string({ error: 'must be a hex string' }).regex(/^(?:0x)?[0-9a-fA-F]{1,16}$/, 'must be 1..16 hex digits, optional 0x');

export const EngineKeyFileSchema = z
  .strictObject({
    type: z.literal('tracemark-key', { error: 'not a tracemark key file (type must be "tracemark-key")' }),
    version: z.literal(2),
    engine: z.enum(ENGINE_FAMILIES, { error: `engine must be one of ${ENGINE_FAMILIES.join(', ')}` }),
    key: z.string({ error: 'key must be a string' }).optional(),
    keyB: hexWord.optional(),
    keys: z.array(decimal, { error: 'keys must be an array of decimal integer strings' }).min(1, 'keys must not be empty').max(64, 'at most 64 keys').optional(),
    fingerprint: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters'),
    created: z.string().optional(),
  })
  .superRefine((f, ctx) => {
    const list = f.engine === 'synthid-text' || (f.engine === 'hf' && f.keys !== undefined);
    if (list) {
      if (f.keys === undefined) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'a SynthID key file lists its keys in "keys"' });
      if (f.key !== undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'a SynthID key file has "keys", not "key"' });
    } else {
      if (f.key === undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'missing' });
      else if (!(f.engine === 'sglang' ? hexWord : decimal).safeParse(f.key).success)
        ctx.addIssue({ code: 'custom', path: ['key'], message: f.engine === 'sglang' ? 'must be 1..16 hex digits, optional 0x' : 'must be a decimal integer string' });
      if (f.keys !== undefined) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'only SynthID key files have "keys"' });
    }
    if (f.keyB !== undefined && f.engine !== 'sglang') ctx.addIssue({ code: 'custom', path: ['keyB'], message: 'only SGLang keys have a keyB' });
  });
export type EngineKeyFile = z.infer<typeof EngineKeyFileSchema>;

const hexValue = (s: string) => BigInt('0x' + s.replace(/^0x/i, ''));

/** Parse a version-2 key file (already JSON-parsed). Messages name the field, never the value. */
export function parseEngineKeyFile(json: unknown): EngineKey {
  const r = EngineKeyFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`invalid key file: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const f = r.data;
  const key =
    f.keys !== undefined
      ? new EngineKey(f.engine, 'list', f.keys.map((k) => BigInt(k)))
      : f.engine === 'sglang'
        ? new EngineKey('sglang', 'hex', [hexValue(f.key!), ...(f.keyB !== undefined ? [hexValue(f.keyB)] : [])])
        : new EngineKey(f.engine, 'integer', [BigInt(f.key!)]);
  if (key.fingerprint !== f.fingerprint) throw new Error('key file is corrupt: its fingerprint does not match its key');
  return key;
}

export function exportEngineKeyFile(key: EngineKey, created: Date = new Date()): EngineKeyFile {
  const v = key.secretValues();
  const base = { type: 'tracemark-key' as const, version: 2 as const, engine: key.family };
  const body =
    key.form === 'list'
      ? { keys: v.map(String) }
      : key.form === 'hex'
        ? { key: '0x' + v[0]!.toString(16), ...(v.length > 1 ? { keyB: '0x' + v[1]!.toString(16) } : {}) }
        : { key: String(v[0]!) };
  return { ...base, ...body, fingerprint: key.fingerprint, created: created.toISOString() };
}

/**
 * Is this key of the kind and range the scheme takes? Returns the first problem as
 * "<field>: <what>" (no key material), or null. vLLM keys ≥ 2^63 crash SBW; HMAC keys
 * go to 2^256 - 1; SGLang dual key needs keyB; a SynthID list has `depth` keys.
 */
export function engineKeyProblem(e: EngineScheme, key: EngineKey): string | null {
  const fam = engineOf(e.scheme as EngineSchemeName);
  if (key.family !== fam) return `engine: the key is a ${key.family} key, the spec's scheme ${e.scheme} takes a ${fam} key`;
  const v = key.secretValues();
  const inRange = (x: bigint, lo: bigint, hi: bigint) => x >= lo && x <= hi;
  switch (e.scheme) {
    case 'vllm/gumbel':
    case 'vllm/dual_key_gumbel':
    case 'vllm/red_green':
    case 'vllm/synthid': {
      const max = e.scheme === 'vllm/gumbel' && e.prf === 'hmac_sha256' ? (1n << 256n) - 1n : U64_MAX;
      if (key.form !== 'integer' || v.length !== 1) return 'key: a vLLM key is one integer';
      return inRange(v[0]!, 0n, max) ? null : `key: out of range (a ${e.scheme === 'vllm/gumbel' && e.prf === 'hmac_sha256' ? 'hmac_sha256' : 'vLLM'} key is 0..${max === U64_MAX ? '2^64-1' : '2^256-1'})`;
    }
    case 'vllm/sbw':
      if (key.form !== 'integer' || v.length !== 1) return 'key: a vLLM key is one integer';
      return inRange(v[0]!, 0n, I63_MAX) ? null : 'key: out of range (SBW keys are 0..2^63-1: larger ones crash the engine)';
    case 'sglang/gumbel':
      if (e.dualKey && v.length !== 2) return 'keyB: dual key needs a second key (keyB)';
      if (!e.dualKey && v.length !== 1) return 'keyB: the spec is single key but the key file has a keyB';
      return null;
    case 'hf/kgw':
    case 'lm-watermarking/kgw':
      if (key.form !== 'integer' || v.length !== 1) return 'key: a hashing key is one integer';
      return inRange(v[0]!, 0n, I63_MAX) ? null : 'key: out of range (a hashing key is 0..2^63-1)';
    case 'hf/synthid':
    case 'synthid-text/synthid':
      if (key.form !== 'list') return 'keys: a SynthID key is a list of integers';
      if (v.length !== e.depth) return `keys: the spec's depth is ${e.depth} but the key file lists ${v.length} keys`;
      return v.every((x) => inRange(x, -(1n << 63n), I63_MAX)) ? null : 'keys: every SynthID key must fit in a signed 64-bit integer';
  }
}

/** A fresh random key of the scheme's kind (64 random bits per value; SBW/HF: 63; SynthID: `depth` values). */
export function generateEngineKey(e: EngineScheme, random: (n: number) => Uint8Array = cryptoRandomBytes): EngineKey {
  const fam = engineOf(e.scheme as EngineSchemeName);
  const u64 = (bits: number) => {
    const b = random(8);
    let x = 0n;
    for (const byte of b) x = (x << 8n) | BigInt(byte);
    return x & ((1n << BigInt(bits)) - 1n);
  };
  switch (e.scheme) {
    case 'hf/synthid':
    case 'synthid-text/synthid':
      return new EngineKey(fam, 'list', Array.from({ length: e.depth }, () => u64(63)));
    case 'sglang/gumbel':
      return new EngineKey('sglang', 'hex', e.dualKey ? [u64(64), u64(64)] : [u64(64)]);
    case 'vllm/sbw':
    case 'hf/kgw':
    case 'lm-watermarking/kgw':
      return new EngineKey(fam, 'integer', [u64(63)]);
    default:
      return new EngineKey(fam, 'integer', [u64(64)]);
  }
}

function cryptoRandomBytes(n: number): Uint8Array {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (!c) throw new Error('no secure random source (globalThis.crypto) available');
  return c.getRandomValues(new Uint8Array(n));
}

/** Either key file: version 1 → tracemark's 256-bit key, version 2 → an engine key. */
export function parseAnyKeyFile(text: string, expectedFingerprint?: string): WatermarkKey | EngineKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('key file is not valid JSON');
  }
  const v = typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined;
  if (v !== 2) return parseKeyFile(text, expectedFingerprint);
  const key = parseEngineKeyFile(json);
  if (expectedFingerprint !== undefined) assertKeyMatches(key, expectedFingerprint);
  return key;
}

export function isEngineKey(key: WatermarkKey | EngineKey): key is EngineKey {
  return key instanceof EngineKey;
}
