/**
 * Engine schemes in the benchmark (`--preset engines`): descriptors with a "/" are engine
 * schemes with the engines' defaults, their keys derive from the seed, the preset leaves
 * the default preset alone, and a small run embeds each engine's watermark through its
 * sampler on the reference model: the exact test detects it, the engine's own detector
 * reads it, plain text of the same model is null.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Detector, jsonReplacer } from '@tracemark/detector';
import { isEngineKey, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { benchConfig, ENGINES, FULL } from '../src/config.js';
import { generateEngineSample } from '../src/engine-schemes.js';
import { curveFromMarks, fprVerdict, prefixLnP, ratesAt } from '../src/metrics.js';
import { configJson, runBench } from '../src/run.js';
import { benchKeyOf, benchSpecOf, parseSchemeList } from '../src/schemes.js';
import { benchContext, humanNull, prompts } from '../src/tasks.js';
import type { BenchResults, FprRow } from '../src/types.js';

describe('engine schemes in the benchmark configuration', () => {
  it('the engines preset lists tracemark and engine schemes; the default preset is unchanged', () => {
    const c = benchConfig({ preset: 'engines' });
    expect(c.schemes.map((s) => s.id)).toEqual(ENGINES.schemes);
    expect(c.schemes.filter((s) => s.engine).map((s) => s.id)).toEqual(['vllm/gumbel', 'vllm/red_green', 'vllm/synthid', 'sglang/gumbel', 'hf/kgw', 'hf/synthid']);
    expect(c.attacks).toEqual([]);
    expect(c.quick).toBe(false);
    expect(benchConfig({}).schemes.map((s) => s.id)).toEqual(FULL.schemes);
    expect(benchConfig({ preset: 'quick' }).quick).toBe(true);
  });

  it('unknown engine schemes and lm-watermarking are refused naming the flag', () => {
    expect(() => parseSchemeList('vllm/nope')).toThrow(/--schemes: unknown engine scheme "vllm\/nope"/);
    expect(() => parseSchemeList('lm-watermarking/kgw')).toThrow(/lm-watermarking is not implemented: its lefthash is hf\/kgw/);
  });

  it('engine keys derive from the seed and the name; specs carry the engine defaults', () => {
    const [vg, kgw] = parseSchemeList('vllm/gumbel,hf/kgw');
    const k1 = benchKeyOf(1, vg!);
    expect(isEngineKey(k1)).toBe(true);
    expect(benchKeyOf(1, vg!).fingerprint).toBe(k1.fingerprint);
    expect(benchKeyOf(2, vg!).fingerprint).not.toBe(k1.fingerprint);
    expect(benchKeyOf(1, vg!, 'vllm/gumbel#recheck-0').fingerprint).not.toBe(k1.fingerprint);
    const spec = benchSpecOf(vg!, k1) as EngineSpec;
    expect(spec).toMatchObject({ version: 2, tokenizer: 'o200k_base', keyFingerprint: k1.fingerprint, engine: { scheme: 'vllm/gumbel', prf: 'philox', contextWidth: 4, deduplicateContexts: 'single_turn' } });
    const kspec = benchSpecOf(kgw!, benchKeyOf(1, kgw!)) as EngineSpec;
    expect(kspec.engine).toMatchObject({ scheme: 'hf/kgw', vocabSize: 200019, seeding: 'lefthash', greenlistRatio: 0.25, bias: 2 });
  });
});

describe('engine samples from the reference model', () => {
  it('each engine sample is read by the engine detector and the exact test; another key is null', { timeout: 120_000 }, async () => {
    const c = benchConfig({ preset: 'engines', samples: 4, lengths: [60], temperatures: [1] });
    const { sampler } = benchContext();
    for (const s of c.schemes.filter((x) => x.engine && x.id !== 'hf/synthid')) {
      const key = benchKeyOf(c.seed, s) as EngineKey;
      const spec = benchSpecOf(s, key) as EngineSpec;
      const other = benchKeyOf(c.seed, s, `${s.id}#other`) as EngineKey;
      const det = new Detector(spec, key);
      const wrong = new Detector(benchSpecOf(s, other), other);
      for (const [i, p] of prompts(c).entries()) {
        await new Promise((r) => setImmediate(r)); // keep the test runner's RPC answered
        const smp = generateEngineSample(sampler, spec, key, p, 60, `t:${i}`, 1);
        expect(smp.tokens).toHaveLength(60);
        const r = det.detect(smp.text, { prompt: p });
        expect(r.log10P, `${s.id} sample ${i}`).toBeLessThan(-4);
        const e = r.engine!;
        expect(e.watermarked === true || (e.watermarked === null && e.pValue !== null && e.pValue < 0.01), `${s.id}: ${JSON.stringify(e)}`).toBe(true);
        expect(wrong.detect(smp.text, { prompt: p }).log10P).toBeGreaterThan(-3);
      }
      det.dispose();
      wrong.dispose();
    }
  });

  it('a small run: engine rows detect at every length, the sanity rows stay at the FPR', { timeout: 300_000 }, async () => {
    const c = benchConfig({ schemes: ['vllm/gumbel', 'sglang/gumbel', 'hf/kgw'], samples: 6, nullSamples: 60, lengths: [25, 100], temperatures: [1], attacks: ['none'], workers: 0 });
    const r = await runBench(c);
    expect(r.schemes.map((s) => (s.spec as EngineSpec).engine.scheme)).toEqual(['vllm/gumbel', 'sglang/gumbel', 'hf/kgw']);
    for (const d of r.detection.filter((x) => x.length === 100)) {
      expect(d.medianLog10P, d.scheme).toBeLessThan(-6);
      expect(d.tpr.find((x) => x.fpr === 1e-3)!.rate, d.scheme).toBe(1);
    }
    for (const d of r.sanity) expect(d.tpr.find((x) => x.fpr === 1e-3)!.rate, d.scheme).toBeLessThanOrEqual(1 / 6);
    expect(r.fpr.filter((f) => f.nullSet === 'human')).toHaveLength(6);
    // the engines' own detectors on the same texts: every watermarked 100-token sample called
    expect(r.engineOwn!.filter((x) => x.set === 'marked@1').map((x) => x.rule)).toEqual(['verdict', 'verdict', 'p ≤ 0.01', 'p ≤ 0.01', 'verdict', 'verdict']);
    for (const x of r.engineOwn!.filter((y) => y.set === 'marked@1' && y.length === 100)) expect(x.rate, x.scheme).toBe(1);
    expect(r.engineOwn!.filter((x) => x.set === 'human').map((x) => [x.scheme, x.texts, x.length])).toEqual([
      ['vllm/gumbel', 60, 100],
      ['sglang/gumbel', 60, 100],
      ['hf/kgw', 60, 100],
    ]);
  });
});

describe('committed engines run (docs/bench-engines/results.json), recomputed in part from the code', () => {
  const results = JSON.parse(readFileSync(fileURLToPath(new URL('../../../docs/bench-engines/results.json', import.meta.url)), 'utf8')) as BenchResults;
  const asJson = <T>(x: T): T => JSON.parse(JSON.stringify(x, jsonReplacer)) as T;
  const c = benchConfig({ preset: 'engines', seed: results.config.seed });

  it('is the engines preset of its seed, with the keys and specs that seed derives', () => {
    expect(results.config).toEqual(asJson(configJson(c)));
    for (const s of c.schemes) {
      const key = benchKeyOf(c.seed, s);
      const row = results.schemes.find((x) => x.id === s.id)!;
      expect(row.keyFingerprint).toBe(key.fingerprint);
      expect(row.spec).toEqual(asJson(benchSpecOf(s, key)));
    }
  });

  it("vllm/gumbel's human-null FPR rows, at every length, are what the code computes", { timeout: 120_000 }, () => {
    const s = c.schemes.find((x) => x.id === 'vllm/gumbel')!;
    const key = benchKeyOf(c.seed, s);
    const d = new Detector(benchSpecOf(s, key), key);
    try {
      const curves = humanNull(c).map((h) => {
        const m = d.marks(h);
        return curveFromMarks(m.flags, m.scores);
      });
      const rows: FprRow[] = c.lengths.map((L) => {
        const lnPs = curves.map((cv) => prefixLnP(d.nullModel, cv, L));
        return { scheme: s.id, nullSet: 'human', length: L, texts: lnPs.length, rows: ratesAt(lnPs, c.fprs).map((r) => ({ ...r, verdict: fprVerdict(r, r.fpr) })) };
      });
      expect(results.fpr.filter((f) => f.scheme === s.id && f.nullSet === 'human')).toEqual(asJson(rows));
    } finally {
      d.dispose();
    }
  });
});
