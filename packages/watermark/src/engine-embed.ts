/**
 * From an engine spec and its key to the per-request sampler that embeds that engine's
 * watermark exactly as the engine does (engines/embed/): what `tracemark serve` and the
 * benchmark use to emulate an engine. lm-watermarking has no sampler here: its lefthash
 * equals HF's (same key), its selfhash table differs and is not implemented for embedding.
 */
import { wordsOf } from './engines/u64.js';
import { createEngineSampler, type EngineEmbedConfig, type EngineSampler } from './engines/embed/index.js';
import type { EngineKey } from './engine-keys.js';
import type { EngineSpec } from './engine-spec.js';

export function engineEmbedConfig(spec: EngineSpec, key: EngineKey, prompt: readonly number[] = []): EngineEmbedConfig {
  const e = spec.engine;
  const v = key.secretValues();
  switch (e.scheme) {
    case 'vllm/gumbel':
      return { engine: 'vllm', algorithm: 'gumbel', key: v[0]!, prf: e.prf, contextWidth: e.contextWidth, dedup: e.deduplicateContexts, prompt };
    case 'vllm/dual_key_gumbel':
      return { engine: 'vllm', algorithm: 'dual_key_gumbel', key: v[0]!, contextWidth: e.contextWidth, dedup: e.deduplicateContexts, prompt, alpha: e.alpha };
    case 'vllm/red_green':
      return { engine: 'vllm', algorithm: 'red_green', key: v[0]!, contextWidth: e.contextWidth, dedup: e.deduplicateContexts, prompt, gamma: e.gamma, delta: e.delta };
    case 'vllm/synthid':
      return { engine: 'vllm', algorithm: 'synthid', key: v[0]!, contextWidth: e.contextWidth, dedup: e.deduplicateContexts, prompt, depth: e.depth };
    case 'vllm/sbw':
      return { engine: 'vllm', algorithm: 'sbw', key: v[0]!, contextWidth: e.contextWidth, dedup: e.deduplicateContexts, prompt, gamma: e.gamma, delta: e.delta, seeding: e.seeding };
    case 'sglang/gumbel':
      return { engine: 'sglang', key: wordsOf(v[0]!), keyB: e.dualKey ? wordsOf(v[1]!) : null, mixingProbability: e.mixingProbability, contextWindow: e.contextWidth, prompt };
    case 'hf/kgw':
      return { engine: 'hf_kgw', vocabSize: e.vocabSize, seeding: e.seeding, hashingKey: v[0]!, contextWidth: e.contextWidth, greenlistRatio: e.greenlistRatio, bias: e.bias, prompt };
    case 'hf/synthid':
      // keys stay bigints (exact above 2^53); the samplers convert with BigInt(k)
      return { engine: 'hf_synthid', keys: v as unknown as number[], ngramLen: e.ngramLen, historySize: e.contextHistorySize, skipFirstNgramCalls: e.skipFirstNgramCalls, samplingTableSize: e.samplingTableSize, samplingTableSeed: e.samplingTableSeed };
    case 'synthid-text/synthid':
      return { engine: 'synthid_text', keys: v as unknown as number[], ngramLen: e.ngramLen, historySize: e.contextHistorySize, topK: e.topK };
    case 'lm-watermarking/kgw':
      throw new RangeError('embedding lm-watermarking is not implemented (its lefthash is HF KGW lefthash with the same key: use hf/kgw to embed it)');
  }
}

/** A fresh sampler for one response of an engine spec (prompt ids: for engines that key on or dedup against the prompt). */
export function createSpecSampler(spec: EngineSpec, key: EngineKey, prompt: readonly number[] = []): EngineSampler {
  return createEngineSampler(engineEmbedConfig(spec, key, prompt));
}
