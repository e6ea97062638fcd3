/**
 * The investigator's Ed25519 signing key: separate from the watermark key, so a
 * bundle can be verified by anyone holding the public key without learning anything
 * about the watermark.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { usage, readTextFile, warnIfShared } from '@tracemark/detector';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n * 2}}$`), `must be ${n * 2} lowercase hex characters`);

export const SigningKeyFileSchema = z.strictObject({
  type: z.literal('tracemark-signing-key', { error: 'not a tracemark signing key file' }),
  version: z.literal(1, { error: 'unsupported signing key file version' }),
  algorithm: z.literal('ed25519'),
  secretKey: hex(32),
  publicKey: hex(32),
  created: z.string().optional(),
});
export type SigningKeyFile = z.infer<typeof SigningKeyFileSchema>;

export interface SigningKey {
  readonly publicKey: string;
  sign(message: Uint8Array): string;
}

/** Short public id of a signing key: first 16 bytes of SHA-256(public key), hex. */
export function publicKeyId(publicKeyHex: string): string {
  return bytesToHex(sha256(hexToBytes(publicKeyHex))).slice(0, 32);
}

export function generateSigningKeyFile(created = new Date()): SigningKeyFile {
  const secret = ed25519.utils.randomSecretKey();
  return {
    type: 'tracemark-signing-key',
    version: 1,
    algorithm: 'ed25519',
    secretKey: bytesToHex(secret),
    publicKey: bytesToHex(ed25519.getPublicKey(secret)),
    created: created.toISOString(),
  };
}

export function signingKeyFromFile(text: string): SigningKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('signing key file is not valid JSON');
  }
  const r = SigningKeyFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`invalid signing key file: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const secret = hexToBytes(r.data.secretKey);
  const pub = bytesToHex(ed25519.getPublicKey(secret));
  if (pub !== r.data.publicKey) throw new Error('signing key file is corrupt: its public key does not match its secret key');
  return {
    publicKey: pub,
    sign: (message) => bytesToHex(ed25519.sign(message, secret)),
    toString: () => `SigningKey(public=${pub})`,
    toJSON: () => ({ publicKey: pub }),
  } as SigningKey;
}

export function verifySignature(signatureHex: string, message: Uint8Array, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(hexToBytes(signatureHex), message, hexToBytes(publicKeyHex));
  } catch {
    return false;
  }
}

/** Load the evidence-signing key file, with one-line errors naming the file (never key material). */
export function loadSigningKey(path: string): SigningKey {
  const text = readTextFile(path, 'signing key file');
  try {
    const k = signingKeyFromFile(text);
    warnIfShared(path, 'signing key file');
    return k;
  } catch (e) {
    throw usage(`${path}: ${(e as Error).message}`);
  }
}
