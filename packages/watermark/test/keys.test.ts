import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  WatermarkKey,
  deriveSubkeyBytes,
  exportKeyFile,
  generateKey,
  keyFingerprint,
  parseKeyFile,
  toHex,
} from '../src/index.js';

const fixedKey = () => new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => i));

describe('watermark keys', () => {
  it('generates distinct 256-bit keys with 128-bit public fingerprints', () => {
    const a = generateKey();
    const b = generateKey();
    expect(a.secretBytes()).toHaveLength(32);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('derives fingerprint and subkeys with HKDF-SHA256 under distinct labels', () => {
    const k = fixedKey();
    expect(k.fingerprint).toBe(keyFingerprint(k.secretBytes()));
    const ctx = deriveSubkeyBytes(k.secretBytes(), 'context');
    const kgw = deriveSubkeyBytes(k.secretBytes(), 'kgw');
    expect(ctx).toHaveLength(16);
    expect(toHex(ctx)).not.toBe(toHex(kgw));
    expect(toHex(ctx)).not.toBe(k.fingerprint);
  });

  it('never shows the secret in toString, JSON or inspect', () => {
    const k = fixedKey();
    const secret = toHex(k.secretBytes());
    for (const s of [String(k), JSON.stringify(k), inspect(k), inspect({ nested: k })]) {
      expect(s).not.toContain(secret);
      expect(s).not.toContain(secret.slice(0, 16));
    }
  });

  it('round-trips through the key file format', () => {
    const k = generateKey();
    const text = JSON.stringify(exportKeyFile(k));
    const back = parseKeyFile(text, k.fingerprint);
    expect(back.fingerprint).toBe(k.fingerprint);
    expect(toHex(back.secretBytes())).toBe(toHex(k.secretBytes()));
  });

  it('rejects a key whose fingerprint differs from the spec', () => {
    const k = generateKey();
    const other = generateKey();
    expect(() => parseKeyFile(JSON.stringify(exportKeyFile(k)), other.fingerprint)).toThrow(
      /wrong key: key fingerprint [0-9a-f]{32} does not match the spec's keyFingerprint/,
    );
  });

  it.each([
    ['not json', /not valid JSON/],
    [JSON.stringify({ type: 'other', version: 1, key: '00'.repeat(32), fingerprint: '00'.repeat(16) }), /type must be "tracemark-key"/],
    [JSON.stringify({ type: 'tracemark-key', version: 2, key: '00'.repeat(32), fingerprint: '00'.repeat(16) }), /unsupported key file version/],
    [JSON.stringify({ type: 'tracemark-key', version: 1, key: '00'.repeat(31), fingerprint: '00'.repeat(16) }), /key: must be 64 lowercase hex/],
    [JSON.stringify({ type: 'tracemark-key', version: 1, key: '00'.repeat(32), fingerprint: '00'.repeat(16) }), /corrupt: its fingerprint does not match/],
    [JSON.stringify({ ...exportKeyFile(fixedKey()), extra: true }), /Unrecognized key/],
  ])('rejects a bad key file (%#) without echoing key material', (text, re) => {
    let msg = '';
    try {
      parseKeyFile(text);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(re);
    expect(msg).not.toMatch(/[0-9a-f]{64}/);
  });

  it('refuses keys of the wrong length', () => {
    expect(() => new WatermarkKey(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});
