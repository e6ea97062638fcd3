// Engine watermark embedding: per-request samplers that choose each token exactly as a
// serving engine's watermarking sampler does (see ../README.md, section "Embedding").
import { createHfKgwSampler, type HfKgwEmbedOptions } from './hf-kgw.js';
import { createSglangSampler, type SglangEmbedOptions } from './sglang.js';
import { createSynthidSampler, type SynthidEmbedOptions } from './synthid.js';
import { createVllmSampler, type VllmEmbedOptions } from './vllm.js';
import type { EngineSampler } from './common.js';

export * from './common.js';
export { VllmHistory, VLLM_DEDUP_MAX_HISTORY, type VllmDedupMode, type VllmHistoryOptions } from './vllm-history.js';
export * from './vllm.js';
export * from './sglang.js';
export * from './hf-kgw.js';
export * from './synthid.js';

/** Which engine to emulate, with that engine's own parameters. */
export type EngineEmbedConfig =
  | ({ readonly engine: 'vllm' } & VllmEmbedOptions)
  | ({ readonly engine: 'sglang' } & SglangEmbedOptions)
  | ({ readonly engine: 'hf_kgw' } & HfKgwEmbedOptions)
  | ({ readonly engine: 'hf_synthid' } & Omit<SynthidEmbedOptions, 'flavour'>)
  | ({ readonly engine: 'synthid_text' } & Omit<SynthidEmbedOptions, 'flavour'>);

/** A fresh per-request sampler for one engine's watermark (one per response). */
export function createEngineSampler(config: EngineEmbedConfig): EngineSampler {
  switch (config.engine) {
    case 'vllm':
      return createVllmSampler(config);
    case 'sglang':
      return createSglangSampler(config);
    case 'hf_kgw':
      return createHfKgwSampler(config);
    case 'hf_synthid':
      return createSynthidSampler({ ...config, flavour: 'hf' });
    case 'synthid_text':
      return createSynthidSampler({ ...config, flavour: 'synthid_text' });
    default:
      throw new RangeError(`unknown engine ${JSON.stringify((config as { engine: unknown }).engine)}`);
  }
}
