// Decoy keys for engine specs: keys of the engine's kind and range, drawn by the engine's
// key generator from the same HKDF stream as tracemark's decoys, reproducible, never the real key.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { EngineKey, engineKeyProblem, parseEngineSpec, WatermarkKey, type EngineSpecInput } from '@tracemark/watermark';
import { decoyKey, decoyKeys } from '../src/index.js';
import { decoyKeyFor, decoyStream } from '../src/report/decoys.js';

const SEED = '5e'.repeat(32);
const hkdfBytes = (i: number, n: number) => hkdf(sha256, hexToBytes(SEED), new TextEncoder().encode('tracemark/decoy/v1'), new TextEncoder().encode(`decoy/${i}`), n);
const beU64 = (b: Uint8Array) => b.reduce((x, y) => (x << 8n) | BigInt(y), 0n);

function specOf(engine: EngineSpecInput['engine'], real: EngineKey) {
  return parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: real.fingerprint });
}

describe('engine decoy keys', () => {
  it('a tracemark decoy is the first 32 bytes of the stream the engine decoys read', () => {
    for (const i of [0, 1, 7]) expect(new WatermarkKey(decoyStream(SEED, i)(32)).fingerprint).toBe(decoyKey(SEED, i).fingerprint);
  });

  it('vLLM: decoy i is the stream’s first 8 bytes as a 64-bit integer; SBW and HF: 63 bits', () => {
    const real = new EngineKey('vllm', 'integer', [42n]);
    const ds = decoyKeys(SEED, 3, real, specOf({ scheme: 'vllm/gumbel' }, real));
    ds.forEach((d, i) => {
      expect(d).toBeInstanceOf(EngineKey);
      expect((d as EngineKey).secretValues()).toEqual([beU64(hkdfBytes(i, 8))]);
    });
    const sbw = decoyKeys(SEED, 2, real, specOf({ scheme: 'vllm/sbw' }, real));
    sbw.forEach((d, i) => expect((d as EngineKey).secretValues()).toEqual([beU64(hkdfBytes(i, 8)) & ((1n << 63n) - 1n)]));
    const hf = new EngineKey('hf', 'integer', [15485863n]);
    const hd = decoyKeys(SEED, 2, hf, specOf({ scheme: 'hf/kgw', vocabSize: 1000 }, hf));
    hd.forEach((d, i) => expect((d as EngineKey).secretValues()).toEqual([beU64(hkdfBytes(i, 8)) & ((1n << 63n) - 1n)]));
  });

  it('every scheme: keys of its kind and range, distinct, reproducible, seed-dependent', () => {
    const cases: [EngineSpecInput['engine'], EngineKey][] = [
      [{ scheme: 'vllm/gumbel', prf: 'hmac_sha256' }, new EngineKey('vllm', 'integer', [1n])],
      [{ scheme: 'vllm/red_green' }, new EngineKey('vllm', 'integer', [1n])],
      [{ scheme: 'sglang/gumbel', dualKey: true }, new EngineKey('sglang', 'hex', [1n, 2n])],
      [{ scheme: 'sglang/gumbel' }, new EngineKey('sglang', 'hex', [1n])],
      [{ scheme: 'lm-watermarking/kgw', vocabSize: 500 }, new EngineKey('lm-watermarking', 'integer', [1n])],
      [{ scheme: 'hf/synthid', depth: 5 }, new EngineKey('hf', 'list', [1n, 2n, 3n, 4n, 5n])],
      [{ scheme: 'synthid-text/synthid', depth: 64 }, new EngineKey('synthid-text', 'list', Array.from({ length: 64 }, (_, i) => BigInt(i)))],
    ];
    for (const [engine, real] of cases) {
      const spec = specOf(engine, real);
      const ds = decoyKeys(SEED, 8, real, spec) as EngineKey[];
      expect(ds).toHaveLength(8);
      for (const d of ds) {
        expect(engineKeyProblem(spec.engine, d)).toBeNull();
        expect(d.fingerprint).not.toBe(real.fingerprint);
      }
      expect(new Set(ds.map((d) => d.fingerprint)).size).toBe(8);
      expect((decoyKeys(SEED, 8, real, spec) as EngineKey[]).map((d) => d.fingerprint)).toEqual(ds.map((d) => d.fingerprint));
      expect((decoyKeys('00'.repeat(32), 8, real, spec) as EngineKey[])[0]!.fingerprint).not.toBe(ds[0]!.fingerprint);
    }
    // SynthID: the list is `depth` consecutive 8-byte draws of the stream
    const real = new EngineKey('hf', 'list', [1n, 2n, 3n]);
    const d0 = decoyKeyFor(specOf({ scheme: 'hf/synthid', depth: 3 }, real), SEED, 0) as EngineKey;
    const b = hkdfBytes(0, 24);
    expect(d0.secretValues()).toEqual([0, 8, 16].map((o) => beU64(b.subarray(o, o + 8)) & ((1n << 63n) - 1n)));
  });

  it('never the real key: a real key equal to decoy 0 is skipped', () => {
    const probe = new EngineKey('vllm', 'integer', [1n]);
    const spec = specOf({ scheme: 'vllm/gumbel' }, probe);
    const d0 = decoyKeyFor(spec, SEED, 0) as EngineKey;
    const asReal = specOf({ scheme: 'vllm/gumbel' }, d0);
    const ds = decoyKeys(SEED, 3, d0, asReal);
    expect(ds.map((d) => d.fingerprint)).toEqual([1, 2, 3].map((i) => decoyKeyFor(asReal, SEED, i).fingerprint));
    // tracemark specs keep their decoys (the 3-argument form and the spec form agree)
    const tm = decoyKeys(SEED, 4, { fingerprint: 'x' });
    expect(tm.map((k) => k.fingerprint)).toEqual([0, 1, 2, 3].map((i) => decoyKey(SEED, i).fingerprint));
  });
});
