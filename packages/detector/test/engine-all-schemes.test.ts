// Every engine scheme through the whole detector path: text written by the engine's own
// sampler (createSpecSampler) from a small synthetic model is detected by tracemark's exact
// test and by the engine's own detector, is radioactive under the real key with engine-kind
// decoys null-like, and the same model without the watermark is not.
import { createSpecSampler, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec, type EngineSpecInput, type Rng } from '@tracemark/watermark';
import { describe, expect, it } from 'vitest';
import { Detector, RadioactivityRun } from '../src/index.js';

const V = 4096;
const TOP = 64;

/** Zipf-like next-token law over the 64 most likely ids, rotated by the previous token. */
function step(prev: number): { ids: Int32Array; probs: Float64Array } {
  const ids = new Int32Array(TOP);
  const probs = new Float64Array(TOP);
  let z = 0;
  for (let r = 0; r < TOP; r++) {
    ids[r] = (r * 131 + prev * 37 + 11) % V;
    probs[r] = 1 / (r + 1) ** 1.1;
    z += probs[r]!;
  }
  for (let r = 0; r < TOP; r++) probs[r]! /= z;
  return { ids, probs };
}

function plainDraw(d: { ids: Int32Array; probs: Float64Array }, rng: Rng): number {
  let u = rng();
  for (let i = 0; i < d.ids.length; i++) if ((u -= d.probs[i]!) <= 0) return d.ids[i]!;
  return d.ids[d.ids.length - 1]!;
}

const PROMPT = [5, 6, 7, 8];

function respond(spec: EngineSpec, key: EngineKey | null, seed: string, length: number): number[] {
  const rng = seededRng(seed);
  const sampler = key ? createSpecSampler(spec, key, PROMPT) : null;
  const out: number[] = [];
  let prev = PROMPT[PROMPT.length - 1]!;
  for (let i = 0; i < length; i++) {
    const d = step(prev);
    prev = sampler ? sampler.step(d, rng).token : plainDraw(d, rng);
    out.push(prev);
  }
  return out;
}

const SCHEMES: EngineSpecInput['engine'][] = [
  { scheme: 'vllm/gumbel' },
  { scheme: 'vllm/gumbel', prf: 'philox_legacy' },
  { scheme: 'vllm/gumbel', prf: 'hmac_sha256' },
  { scheme: 'vllm/dual_key_gumbel' },
  { scheme: 'vllm/red_green' },
  { scheme: 'vllm/synthid' },
  { scheme: 'vllm/sbw', seeding: 'selfhash' },
  { scheme: 'vllm/sbw', seeding: 'lefthash' },
  { scheme: 'sglang/gumbel' },
  { scheme: 'sglang/gumbel', dualKey: true },
  { scheme: 'hf/kgw', vocabSize: V },
  { scheme: 'hf/kgw', vocabSize: V, seeding: 'selfhash', contextWidth: 4 },
  { scheme: 'hf/synthid', depth: 20 },
  { scheme: 'synthid-text/synthid', depth: 20 },
];

describe('every engine scheme, embedded by its sampler and read by the Detector', () => {
  for (const engine of SCHEMES) {
    const label = JSON.stringify(engine);
    it(label, () => {
      const rng = seededRng(`keys:${label}`);
      const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
      const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
      const key = generateEngineKey(spec0.engine, bytes);
      const spec = { ...spec0, keyFingerprint: key.fingerprint };
      const d = new Detector(spec, key);
      // one watermarked response: tracemark's exact p and, where it has a verdict, the engine agree
      const one = respond(spec, key, `${label}:0`, 160);
      const r = d.detectTokens(one, { prompt: PROMPT });
      expect(r.scheme).toBe(spec.engine.scheme);
      expect(r.log10P, 'exact p of one marked response').toBeLessThan(-4);
      // the engine's own detector agrees — except SBW lefthash, whose detector cannot read its generator's output
      const sbwLeft = spec.engine.scheme === 'vllm/sbw' && spec.engine.seeding === 'lefthash';
      if (r.engine!.watermarked !== null) expect(r.engine!.watermarked, "the engine's own verdict").toBe(!sbwLeft);
      if (r.engine!.pValue !== null && !sbwLeft) expect(r.engine!.pValue).toBeLessThan(1e-2);
      // radioactivity over several responses, with decoys of the engine's key kind
      const decoys = Array.from({ length: 12 }, () => generateEngineKey(spec.engine, bytes));
      const run = new RadioactivityRun({ spec, key, decoyKeys: decoys, alpha: 1e-6 });
      const plain = new RadioactivityRun({ spec, key, decoyKeys: decoys.slice(0, 4), alpha: 1e-6 });
      for (let k = 1; k <= 6; k++) {
        run.add({ id: `m${k}`, tokens: respond(spec, key, `${label}:${k}`, 80), given: [PROMPT] });
        plain.add({ id: `p${k}`, tokens: respond(spec, null, `${label}:plain:${k}`, 80), given: [PROMPT] });
      }
      const s = run.summary();
      expect(s.verdict, 'marked responses are radioactive').toBe('detected');
      expect(s.decoys.significant, 'no decoy key is significant').toBe(0);
      const p = plain.summary();
      expect(p.verdict, 'the unwatermarked model is not').toBe('not-detected');
      expect(p.pooled.scored).toBeGreaterThan(100);
      d.dispose();
    });
  }
});
