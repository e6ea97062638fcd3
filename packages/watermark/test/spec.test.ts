import { describe, expect, it } from 'vitest';
import { Watermark, WatermarkKey, canonicalSpecJson, parseSpec, parseSpecJson } from '../src/index.js';

const fp = 'ab'.repeat(16);
const base = { version: 1, scheme: { name: 'kgw' }, keyFingerprint: fp };

describe('WatermarkSpec', () => {
  it('fills documented defaults', () => {
    expect(parseSpec(base)).toEqual({
      version: 1,
      tokenizer: 'o200k_base',
      scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
      context: { width: 1, mode: 'left' },
      payload: null,
      keyFingerprint: fp,
    });
    expect(parseSpec({ ...base, scheme: { name: 'synthid' } }).scheme).toEqual({ name: 'synthid', layers: 30 });
  });

  it('is JSON-serialisable and round-trips', () => {
    const s = parseSpec({ ...base, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, payload: { bits: 32, digitBits: 2 } });
    expect(parseSpecJson(JSON.stringify(s))).toEqual(s);
    expect(canonicalSpecJson(s)).toBe(canonicalSpecJson(parseSpecJson(canonicalSpecJson(s))));
  });

  it.each([
    [{ ...base, version: 2 }, /version: spec version 2 is not supported \(this build reads version 1\)/],
    [{ ...base, extra: 1 }, /Unrecognized key: "extra"/],
    [{ ...base, scheme: { name: 'kgw', gamma: 0.25, delta: 2, bias: 1 } }, /scheme: Unrecognized key: "bias"/],
    [{ ...base, scheme: { name: 'kgw', gamma: 1.5 } }, /scheme.gamma: gamma must be < 1/],
    [{ ...base, scheme: { name: 'kgw', delta: -1 } }, /scheme.delta: delta must be > 0/],
    [{ ...base, scheme: { name: 'rot13' } }, /scheme.name: scheme.name must be one of kgw, gumbel, synthid, unigram/],
    [{ ...base, scheme: { name: 'synthid', layers: 65 } }, /scheme.layers: layers must be ≤ 64/],
    [{ ...base, context: { width: 9 } }, /context.width: context width h must be 1..8/],
    [{ ...base, context: { width: 2, mode: 'right' } }, /context.mode: context mode must be left, min or self/],
    [{ ...base, tokenizer: 'bogus' }, /tokenizer: tokenizer must be one of o200k_base/],
    [{ ...base, keyFingerprint: 'xyz' }, /keyFingerprint: keyFingerprint must be 32 lowercase hex/],
    [{ ...base, payload: { bits: 8 } }, /payload.bits: payload bits must be 16..64/],
    [{ ...base, scheme: { name: 'gumbel' }, payload: { bits: 16 } }, /payload: a payload is only defined for the kgw scheme/],
    [{ ...base, scheme: { name: 'kgw', gamma: 0.5 }, payload: { bits: 16, digitBits: 2 } }, /scheme.gamma: with digitBits 2 the 4 coloured lists need gamma ≤ 0.25/],
    [{ ...base, payload: { bits: 17, digitBits: 2 } }, /payload.digitBits: payload bits must be a multiple of digitBits/],
    [{ version: 1, scheme: { name: 'kgw' } }, /keyFingerprint: /],
  ])('rejects invalid spec %#', (input, re) => {
    expect(() => parseSpec(input)).toThrow(re);
  });

  it('reports malformed JSON clearly', () => {
    expect(() => parseSpecJson('{"version":')).toThrow(/spec is not valid JSON/);
  });

  it('binds to its key: a different key is refused', () => {
    const key = new WatermarkKey(new Uint8Array(32).fill(7));
    const spec = parseSpec({ ...base, keyFingerprint: key.fingerprint });
    expect(() => new Watermark(spec, key)).not.toThrow();
    const other = new WatermarkKey(new Uint8Array(32).fill(8));
    expect(() => new Watermark(spec, other)).toThrow(/wrong key/);
  });
});
