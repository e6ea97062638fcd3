// Engine specs (version 2) and engine key files: defaults, refusals naming the field,
// round trips, fingerprints, and keys that never print.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  canonicalSpecJson,
  EngineKey,
  engineKeyProblem,
  exportEngineKeyFile,
  generateEngineKey,
  parseAnyKeyFile,
  parseAnySpec,
  parseEngineKeyFile,
  parseEngineSpec,
  parseSpec,
  SpecError,
} from '../src/index.js';

const fp = '0'.repeat(32);
const v2 = (engine: unknown) => ({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: fp });

describe('engine specs', () => {
  it("fill the engine's own defaults", () => {
    expect(parseEngineSpec(v2({ scheme: 'vllm/gumbel' })).engine).toEqual({ scheme: 'vllm/gumbel', prf: 'philox', contextWidth: 4, pValueThreshold: 0.01, deduplicateContexts: 'single_turn' });
    expect(parseEngineSpec(v2({ scheme: 'vllm/sbw', seeding: 'lefthash' })).engine).toMatchObject({ contextWidth: 1, gamma: 0.5, lefthashRule: 'generator' });
    expect(parseEngineSpec(v2({ scheme: 'vllm/sbw' })).engine).toMatchObject({ contextWidth: 4, seeding: 'selfhash' });
    expect(parseEngineSpec(v2({ scheme: 'hf/kgw', vocabSize: 32000 })).engine).toMatchObject({ seeding: 'lefthash', contextWidth: 1, greenlistRatio: 0.25, bias: 2, bosTokenId: null });
    expect(parseEngineSpec(v2({ scheme: 'hf/synthid', depth: 30 })).engine).toMatchObject({ ngramLen: 5, samplingTableSize: 65536, samplingTableSeed: 0, contextHistorySize: 1024 });
  });

  it('refuse unknown fields, bad values and impossible combinations, naming the field', () => {
    const bad = (engine: unknown) => () => parseEngineSpec(v2(engine));
    expect(bad({ scheme: 'vllm/gumbel', salt: 1 })).toThrow(/engine: .*salt/);
    expect(bad({ scheme: 'vllm/gumbel', contextWidth: 0 })).toThrow(/engine\.contextWidth: contextWidth must be 1\.\.64/);
    expect(bad({ scheme: 'vllm/gumbel', prf: 'philox_legacy', contextWidth: 17 })).toThrow(/engine\.contextWidth: the philox_legacy PRF caps contextWidth at 16/);
    expect(bad({ scheme: 'vllm/red_green', prf: 'hmac_sha256' })).toThrow(/engine\.prf: red_green only exists with the philox PRF/);
    expect(bad({ scheme: 'hf/kgw' })).toThrow(/engine\.vocabSize/);
    expect(bad({ scheme: 'hf/synthid', depth: 30, samplingTableSize: 1000 })).toThrow(/power of two/);
    expect(bad({ scheme: 'trtllm/gumbel' })).toThrow(/engine\.scheme must be one of vllm\/gumbel/);
    expect(() => parseAnySpec({ ...v2({ scheme: 'vllm/gumbel' }), version: 3 })).toThrow(SpecError);
    expect(() => parseAnySpec({ ...v2({ scheme: 'vllm/gumbel' }), version: 3 })).toThrow(/versions 1 and 2/);
  });

  it('leave version-1 specs exactly as before (same canonical JSON, so the same spec id)', () => {
    const v1 = { version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, keyFingerprint: fp };
    expect(canonicalSpecJson(parseAnySpec(v1) as ReturnType<typeof parseSpec>)).toBe(canonicalSpecJson(parseSpec(v1)));
  });
});

describe('engine keys', () => {
  const cases: EngineKey[] = [
    new EngineKey('vllm', 'integer', [(1n << 64n) - 1n]),
    new EngineKey('sglang', 'hex', [0x0123456789abcdefn, 0x2an]),
    new EngineKey('hf', 'integer', [15485863n]),
    new EngineKey('hf', 'list', [654n, -400n, (1n << 62n) + 1n]),
    new EngineKey('synthid-text', 'list', [1n, 2n]),
    new EngineKey('lm-watermarking', 'integer', [7n]),
  ];

  it('round-trip through the key file with the same fingerprint; a tampered file is refused', () => {
    for (const k of cases) {
      const file = exportEngineKeyFile(k, new Date(0));
      const back = parseEngineKeyFile(JSON.parse(JSON.stringify(file)));
      expect(back.fingerprint).toBe(k.fingerprint);
      expect(back.secretValues()).toEqual(k.secretValues());
      expect(parseAnyKeyFile(JSON.stringify(file), k.fingerprint).fingerprint).toBe(k.fingerprint);
      expect(() => parseAnyKeyFile(JSON.stringify(file), fp)).toThrow(/wrong key/);
    }
    const f = exportEngineKeyFile(cases[0]!);
    expect(() => parseEngineKeyFile({ ...f, key: '12' })).toThrow(/corrupt/);
    expect(() => parseEngineKeyFile({ ...f, keyB: '0x1' })).toThrow(/keyB: only SGLang keys have a keyB/);
    expect(() => parseEngineKeyFile({ ...f, key: 'abc' })).toThrow(/key: must be a decimal integer string/);
  });

  it('fingerprints depend on the family and the values (and differ for equal values of two engines)', () => {
    const a = new EngineKey('vllm', 'integer', [42n]);
    expect(new EngineKey('vllm', 'integer', [42n]).fingerprint).toBe(a.fingerprint);
    expect(new EngineKey('hf', 'integer', [42n]).fingerprint).not.toBe(a.fingerprint);
    expect(new EngineKey('vllm', 'integer', [43n]).fingerprint).not.toBe(a.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });

  it('never print their values', () => {
    const k = new EngineKey('vllm', 'integer', [123456789012345678n]);
    for (const s of [String(k), JSON.stringify(k), inspect(k), `${k}`]) expect(s).not.toContain('123456789012345678');
  });

  it("say what is wrong with a key for a scheme, naming the field and not the value", () => {
    const spec = (engine: unknown) => parseEngineSpec(v2(engine)).engine;
    expect(engineKeyProblem(spec({ scheme: 'vllm/sbw' }), new EngineKey('vllm', 'integer', [1n << 63n]))).toMatch(/^key: out of range/);
    expect(engineKeyProblem(spec({ scheme: 'vllm/gumbel', prf: 'hmac_sha256' }), new EngineKey('vllm', 'integer', [1n << 200n]))).toBeNull();
    expect(engineKeyProblem(spec({ scheme: 'vllm/gumbel' }), new EngineKey('vllm', 'integer', [1n << 64n]))).toMatch(/^key: out of range/);
    expect(engineKeyProblem(spec({ scheme: 'sglang/gumbel', dualKey: true }), new EngineKey('sglang', 'hex', [1n]))).toMatch(/^keyB:/);
    expect(engineKeyProblem(spec({ scheme: 'hf/synthid', depth: 3 }), new EngineKey('hf', 'list', [1n, 2n]))).toMatch(/^keys: the spec's depth is 3 but the key file lists 2 keys/);
    expect(engineKeyProblem(spec({ scheme: 'hf/kgw', vocabSize: 10 }), new EngineKey('vllm', 'integer', [1n]))).toMatch(/^engine: the key is a vllm key/);
  });

  it('generateEngineKey makes keys every scheme accepts', () => {
    for (const engine of [{ scheme: 'vllm/gumbel' }, { scheme: 'vllm/sbw' }, { scheme: 'sglang/gumbel', dualKey: true }, { scheme: 'hf/kgw', vocabSize: 100 }, { scheme: 'hf/synthid', depth: 4 }, { scheme: 'synthid-text/synthid', depth: 2 }]) {
      const e = parseEngineSpec(v2(engine)).engine;
      const k = generateEngineKey(e);
      expect(engineKeyProblem(e, k), engine.scheme).toBeNull();
      expect(generateEngineKey(e).fingerprint).not.toBe(k.fingerprint);
    }
  });
});
