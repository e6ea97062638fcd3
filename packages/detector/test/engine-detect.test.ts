// Detection with engine specs (version 2) through the same Detector, scan and pool as
// tracemark's own specs: exact p with tracemark's dedup, the engine's statistic beside it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { humanText } from '@tracemark/corpora';
import { EngineKey, generateEngineKey, generateKey, parseEngineSpec, type EngineSpecInput } from '@tracemark/watermark';
import { afterAll, describe, expect, it } from 'vitest';
import { Detector, DetectorError, RadioactivityRun, scanCorpus } from '../src/index.js';

const VEC = fileURLToPath(new URL('../../../test/vectors/engines/', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors = (f: string): any => JSON.parse(readFileSync(VEC + f, 'utf8'));
const hexFloat = (h: string): number => {
  const m = /^(-?)0x([01])\.([0-9a-f]+)p([+-]\d+)$/.exec(h)!;
  let v = parseInt(m[2]!, 16);
  for (let i = 0; i < m[3]!.length; i++) v += parseInt(m[3]![i]!, 16) / 16 ** (i + 1);
  return (m[1] ? -1 : 1) * v * 2 ** parseInt(m[4]!, 10);
};

function engineDetector(engine: EngineSpecInput['engine'], key: EngineKey): Detector {
  return new Detector(parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: key.fingerprint }), key);
}
const K42 = new EngineKey('vllm', 'integer', [42n]);

describe('Detector with an engine spec', () => {
  const file = vectors('vllm-gumbel-philox.json');
  const marked: number[] = file.sequences.find((s: { name: string }) => s.name === 'watermarked-by-engine').tokens;

  it('detects text vLLM marked: exact p, and vLLM’s own p beside it', () => {
    const d = engineDetector({ scheme: 'vllm/gumbel' }, K42);
    const r = d.detectTokens(marked);
    expect(r.scheme).toBe('vllm/gumbel');
    expect(r.test).toBe('gamma');
    expect(r.scored).toBe(marked.length);
    expect(r.log10P).toBeLessThan(-60);
    const want = file.sequences.find((s: { name: string }) => s.name === 'watermarked-by-engine').detector;
    expect(r.engine?.scored).toBe(want.num_scored_tokens);
    expect(Math.abs(r.engine!.pValue! / hexFloat(want.p_value.hex) - 1)).toBeLessThan(1e-9);
    d.dispose();
  });

  it('scores a repeated passage once (tracemark dedup) and finds the marked span inside unmarked ids', () => {
    const d = engineDetector({ scheme: 'vllm/gumbel' }, K42);
    const twice = d.detectTokens([...marked, ...marked]);
    expect(twice.duplicates).toBeGreaterThanOrEqual(marked.length - 4);
    expect(twice.scored).toBeLessThanOrEqual(marked.length + 4);
    let x = 7;
    const noise = Array.from({ length: 200 }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 4096);
    const loc = d.localize([...noise, ...marked, ...noise.map((t) => (t + 1) % 4096)], { alpha: 1e-6 });
    expect(loc.spans.length).toBeGreaterThan(0);
    const s = loc.spans[0]!;
    expect(s.startToken).toBeGreaterThanOrEqual(150);
    expect(s.endToken).toBeLessThanOrEqual(330);
    d.dispose();
  });

  it('refuses a key of the wrong kind or range, naming it', () => {
    const spec = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: K42.fingerprint });
    const native = generateKey();
    expect(() => new Detector(spec, native)).toThrow(/engine spec.*tracemark key/);
    const sbwBig = new EngineKey('vllm', 'integer', [1n << 63n]);
    const sbw = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/sbw' }, keyFingerprint: sbwBig.fingerprint });
    expect(() => new Detector(sbw, sbwBig)).toThrow(DetectorError);
    expect(() => new Detector(sbw, sbwBig)).toThrow(/key: out of range \(SBW keys are 0\.\.2\^63-1/);
    const hf = new EngineKey('hf', 'integer', [15485863n]);
    expect(() => new Detector({ ...spec, keyFingerprint: hf.fingerprint }, hf)).toThrow(/a hf key, the spec's scheme vllm\/gumbel takes a vllm key/);
  });
});

describe('scan with an engine spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-engine-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('human text: no detection, and workers give the same pooled test as the main thread', async () => {
    const docs = humanText({ split: 'calibration', sources: ['brown'] }).slice(0, 60).map((d) => JSON.stringify({ text: d.text }));
    const f = join(dir, 'human.jsonl');
    writeFileSync(f, docs.join('\n') + '\n');
    const key = new EngineKey('sglang', 'hex', [0x1234abcdn]);
    const spec = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'sglang/gumbel' }, keyFingerprint: key.fingerprint });
    const here = await scanCorpus({ spec, key }, [f], { workers: 0 });
    const there = await scanCorpus({ spec, key }, [f], { workers: 2 });
    expect(here.scheme).toBe('sglang/gumbel');
    expect(here.documents).toBe(docs.length);
    expect(here.pooled.scored).toBeGreaterThan(5000);
    expect(here.pooled.log10P).toBeGreaterThan(-3);
    expect(there.pooled).toEqual(here.pooled);
  });
});

describe('radioactivity with an engine spec (decoys of the engine key type)', () => {
  const file = vectors('sglang-aaronson_gumbel.json');
  const marked = file.sequences.find((s: { name: string }) => s.name === 'watermarked-argmax-vocab2048');
  const key = new EngineKey('sglang', 'hex', [0x0123456789abcdefn]);
  const spec = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'sglang/gumbel' }, keyFingerprint: key.fingerprint });
  let seed = 1;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
  const decoys = Array.from({ length: 40 }, () => generateEngineKey(spec.engine, bytes));

  it('the engine-marked response is radioactive under the real key, and 40 decoy keys look like the null', () => {
    const run = new RadioactivityRun({ spec, key, decoyKeys: decoys, alpha: 1e-6 });
    run.add({ id: 'r1', tokens: marked.tokens, given: [marked.prompt_token_ids] });
    const s = run.summary();
    expect(s.scheme).toBe('sglang/gumbel');
    expect(s.verdict).toBe('detected');
    expect(s.decoys.k).toBe(40);
    expect(s.decoys.significant).toBe(0);
    expect(s.decoys.ks!.pValue).toBeGreaterThan(1e-3);
  });

  it('unmarked ids are not radioactive', () => {
    const run = new RadioactivityRun({ spec, key, decoyKeys: decoys.slice(0, 5), alpha: 1e-6 });
    let x = 3;
    for (let r = 0; r < 20; r++) run.add({ id: `n${r}`, tokens: Array.from({ length: 60 }, () => (x = (Math.imul(x, 69069) + 1) >>> 0) % 2048) });
    const s = run.summary();
    expect(s.verdict).toBe('not-detected');
    expect(s.pooled.scored).toBeGreaterThan(1000);
  });
});
