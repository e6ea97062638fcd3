// docs/SPEC.md §9.2 and §9.3 must be enough to reimplement engine key fingerprints and the
// readers' context digest: test/reference/engine_ref.py, written from the SPEC alone, must
// give the same bits as @tracemark/watermark on seeded random inputs and on the readers' own
// per-position digests (vLLM pads −1, SynthID pads 0).
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEngineReader, EngineKey, engineKeyFingerprint, engines, parseEngineSpec, type EngineFamily } from '@tracemark/watermark';
import { rng } from './xorshift.js';

const here = dirname(fileURLToPath(import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;
if (!python && process.env.TRACEMARK_CI) throw new Error('python3 is required in CI (TRACEMARK_CI is set)');
if (!python) console.warn('\n*** SKIPPED: python3 not found, the engine reference check did not run ***\n');

interface Req {
  fingerprints: { family: EngineFamily; form: 'integer' | 'hex' | 'list'; values: string[] }[];
  digests: { tokens: number[]; from: number; to: number; pad: number }[];
}
const runRef = (req: Req): { fingerprints: string[]; digests: string[] } =>
  JSON.parse(execFileSync('python3', [join(here, 'engine_ref.py')], { input: JSON.stringify(req), encoding: 'utf8' }));

const hex64 = (out: Int32Array) => (out[0]! >>> 0).toString(16).padStart(8, '0') + (out[1]! >>> 0).toString(16).padStart(8, '0');

describe.skipIf(!python)('engine reference (test/reference/engine_ref.py) from docs/SPEC.md §9', () => {
  it('key fingerprints: integer, hex and list forms, edge values', () => {
    const next = rng(11);
    const big = (bits: number) => {
      let x = 0n;
      for (let i = 0; i < Math.ceil(bits / 32); i++) x = (x << 32n) | BigInt(next());
      return x & ((1n << BigInt(bits)) - 1n);
    };
    const cases: Req['fingerprints'] = [
      { family: 'vllm', form: 'integer', values: ['42'] },
      { family: 'hf', form: 'integer', values: ['15485863'] },
      { family: 'vllm', form: 'integer', values: ['0'] },
      { family: 'vllm', form: 'integer', values: [String((1n << 256n) - 1n)] },
      { family: 'sglang', form: 'hex', values: [String((1n << 64n) - 1n), '1'] },
      { family: 'synthid-text', form: 'list', values: [String(-(1n << 63n)), '-1', '0', String((1n << 63n) - 1n)] },
    ];
    for (let i = 0; i < 40; i++) {
      const fam = (['vllm', 'hf', 'lm-watermarking'] as const)[i % 3]!;
      cases.push({ family: fam, form: 'integer', values: [String(big(64))] });
      cases.push({ family: 'sglang', form: 'hex', values: i % 2 ? [String(big(64))] : [String(big(64)), String(big(64))] });
      cases.push({ family: i % 2 ? 'hf' : 'synthid-text', form: 'list', values: Array.from({ length: 1 + (i % 30) }, () => String(big(64) - (1n << 63n))) });
    }
    const got = runRef({ fingerprints: cases, digests: [] }).fingerprints;
    expect(got).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const values = c.values.map((v) => BigInt(v));
      expect(got[i], JSON.stringify(c)).toBe(engineKeyFingerprint(c.family, c.form, values));
      expect(got[i]).toBe(new EngineKey(c.family, c.form, values).fingerprint);
    });
    // the form is part of the preimage: one value, two forms, two fingerprints
    expect(engineKeyFingerprint('hf', 'integer', [5n])).not.toBe(engineKeyFingerprint('hf', 'list', [5n]));
  });

  it('context digest: random tuples, pads −1 and 0, token ids up to 2^32 − 1, empty tuples', () => {
    const next = rng(7);
    const digests: Req['digests'] = [];
    for (let i = 0; i < 300; i++) {
      const n = next() % 12;
      const tokens = Array.from({ length: n }, () => (i % 5 === 0 ? next() : next() % 200_000));
      const to = n === 0 ? 0 : next() % (n + 1);
      const from = to - (next() % 10);
      digests.push({ tokens, from, to, pad: i % 2 ? -1 : 0 });
    }
    const got = runRef({ fingerprints: [], digests }).digests;
    const out = new Int32Array(2);
    digests.forEach((d, i) => {
      engines.digestContext(d.tokens, d.from, d.to, d.pad, out);
      expect(got[i], JSON.stringify(d)).toBe(hex64(out));
    });
  });

  it("the readers' per-position context digests are §9.3's (vLLM: w tokens, pad −1; SynthID: n − 1 tokens, pad 0)", () => {
    const next = rng(3);
    const tokens = Array.from({ length: 60 }, () => next() % 5000);
    const readerOf = (engine: object, key: EngineKey) =>
      createEngineReader(parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: key.fingerprint }), key);
    const vllm = readerOf({ scheme: 'vllm/gumbel', contextWidth: 3 }, new EngineKey('vllm', 'integer', [123456789n]));
    const synthid = readerOf({ scheme: 'synthid-text/synthid', depth: 3, ngramLen: 4 }, new EngineKey('synthid-text', 'list', [5n, 7n, 11n]));
    const rv = vllm.read(tokens), rs = synthid.read(tokens);
    const digests: Req['digests'] = [];
    for (let i = 0; i < tokens.length; i++) digests.push({ tokens, from: i - 3, to: i, pad: -1 }, { tokens, from: i - 3, to: i, pad: 0 });
    const got = runRef({ fingerprints: [], digests }).digests;
    const h = (hi: number, lo: number) => (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
    for (let i = 0; i < tokens.length; i++) {
      expect(got[2 * i], `vLLM ctx at ${i}`).toBe(h(rv.ctxHi[i]!, rv.ctxLo[i]!));
      // vLLM's identity is the context digest itself (§9.4)
      expect(got[2 * i], `vLLM id at ${i}`).toBe(h(rv.idHi[i]!, rv.idLo[i]!));
      expect(got[2 * i + 1], `SynthID ctx at ${i}`).toBe(h(rs.ctxHi[i]!, rs.ctxLo[i]!));
    }
    // padding matters at the start and nowhere else
    expect(got[0]).not.toBe(got[1]);
    expect(got[2 * 10]).toBe(got[2 * 10 + 1]);
  });
});
