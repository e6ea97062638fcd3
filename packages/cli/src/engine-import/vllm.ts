/**
 * vLLM `--watermark-config` JSON → an engine spec (vllm/<algorithm>) and a vLLM key.
 *
 * Field names and defaults are vLLM's (vllm/config/watermarking.py, vllm/v1/watermarking):
 * key (required, 0..2^64-1), algorithm (gumbel), prf (philox), context_width (null → 4;
 * sbw: selfhash 4, lefthash 1), alpha (0.1), deduplicate_contexts ("single_turn"; older
 * builds: a boolean), deduplicate_contexts_max_history, allow_target_only_watermarking;
 * red_green's gamma (0.25) and delta (2.0); synthid's synthid_depth (32); SBW's
 * sbw_scheme, sbw_gamma (0.5), sbw_delta (2.0). p_value_threshold is the detector's.
 * `prf: "philox_legacy"` is tracemark's name for the early-PR Philox layout (vLLM called
 * it "philox" too; see the interop notes).
 */
import { EngineKey } from '@tracemark/watermark';
import { z } from 'zod';
import { boolMsg, ImportError, integerOf, intMsg, numberMsg, parseConfig, type EngineBlock, type Imported } from './common.js';

const ALGORITHMS = ['gumbel', 'dual_key_gumbel', 'red_green', 'synthid', 'sbw'] as const;

export const VllmWatermarkConfigSchema = z.strictObject({
  key: z.unknown().optional(),
  algorithm: z.enum(ALGORITHMS, { error: `must be one of ${ALGORITHMS.join(', ')}` }).optional(),
  prf: z.enum(['philox', 'philox_legacy', 'hmac_sha256'], { error: 'must be philox, philox_legacy or hmac_sha256' }).optional(),
  context_width: z.number(numberMsg).int('must be an integer').min(1, 'must be ≥ 1').nullable().optional(),
  alpha: z.number(numberMsg).min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').optional(),
  gamma: z.number(numberMsg).optional(),
  delta: z.number(numberMsg).optional(),
  synthid_depth: z.number(numberMsg).int('must be an integer').optional(),
  sbw_scheme: z.enum(['selfhash', 'lefthash'], { error: 'must be selfhash or lefthash' }).optional(),
  sbw_gamma: z.number(numberMsg).gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)').optional(),
  sbw_delta: z.number(numberMsg).min(0, 'must be ≥ 0').optional(),
  deduplicate_contexts: z.union([z.boolean(), z.enum(['none', 'single_turn', 'all'])], { error: 'must be "none", "single_turn", "all" (or, in older builds, a boolean)' }).optional(),
  deduplicate_contexts_max_history: z.number(intMsg).int('must be an integer').min(1, 'must be ≥ 1').nullable().optional(),
  allow_target_only_watermarking: z.boolean(boolMsg).optional(),
  p_value_threshold: z.number(numberMsg).optional(),
});
export type VllmWatermarkConfig = z.infer<typeof VllmWatermarkConfigSchema>;

const HINTS: Record<string, string> = {
  depth: 'vLLM calls it synthid_depth',
  seeding: 'vLLM calls it sbw_scheme',
  seeding_scheme: 'vLLM calls it sbw_scheme',
  watermark_key: 'that is an SGLang server argument (--engine sglang)',
  hashing_key: 'that is an HF WatermarkingConfig field (--engine hf)',
  keys: 'that is a SynthID key list (--engine hf-synthid or synthid-text)',
};

/** Settings each algorithm reads (the rest are accepted, as vLLM does, and ignored). */
const READS: Record<(typeof ALGORITHMS)[number], readonly string[]> = {
  gumbel: ['prf', 'context_width'],
  dual_key_gumbel: ['prf', 'context_width', 'alpha'],
  red_green: ['prf', 'context_width', 'gamma', 'delta'],
  synthid: ['prf', 'context_width', 'synthid_depth'],
  sbw: ['context_width', 'sbw_scheme', 'sbw_gamma', 'sbw_delta'],
};
const ALGORITHM_ONLY = ['alpha', 'gamma', 'delta', 'synthid_depth', 'sbw_scheme', 'sbw_gamma', 'sbw_delta'] as const;

export function importVllm(input: unknown): Imported {
  const c = parseConfig(VllmWatermarkConfigSchema, input, 'vLLM --watermark-config', HINTS);
  if (c.key === undefined || c.key === null) throw new ImportError('key', "missing (vLLM's WatermarkConfig has no default key)");
  const k = integerOf('key', c.key);
  const algorithm = c.algorithm ?? 'gumbel';
  const notes: string[] = [];
  const ignored = ALGORITHM_ONLY.filter((f) => c[f] !== undefined && !READS[algorithm].includes(f));
  if (ignored.length > 0) notes.push(`${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} not read by algorithm ${algorithm} (ignored)`);
  if (c.deduplicate_contexts !== undefined && c.deduplicate_contexts !== 'single_turn' && c.deduplicate_contexts !== true)
    notes.push(`deduplicate_contexts ${JSON.stringify(c.deduplicate_contexts)} changes which positions the engine watermarked, not how text is read: the reader scores every distinct context`);
  const cw = c.context_width ?? undefined;
  const pv = c.p_value_threshold !== undefined ? { pValueThreshold: c.p_value_threshold } : {};
  const fieldOf: Record<string, string> = { key: 'key', prf: 'prf', contextWidth: 'context_width', pValueThreshold: 'p_value_threshold', alpha: 'alpha', gamma: 'gamma', delta: 'delta', depth: 'synthid_depth' };
  let engine: EngineBlock;
  switch (algorithm) {
    case 'gumbel':
      engine = { scheme: 'vllm/gumbel', prf: c.prf ?? 'philox', contextWidth: cw ?? 4, ...pv };
      break;
    case 'dual_key_gumbel':
      engine = { scheme: 'vllm/dual_key_gumbel', prf: (c.prf ?? 'philox') as 'philox', contextWidth: cw ?? 4, alpha: c.alpha ?? 0.1, ...pv };
      break;
    case 'red_green':
      engine = { scheme: 'vllm/red_green', prf: (c.prf ?? 'philox') as 'philox', contextWidth: cw ?? 4, gamma: c.gamma ?? 0.25, delta: c.delta ?? 2, ...pv };
      break;
    case 'synthid':
      engine = { scheme: 'vllm/synthid', prf: (c.prf ?? 'philox') as 'philox', contextWidth: cw ?? 4, depth: c.synthid_depth ?? 32, ...pv };
      break;
    case 'sbw':
      if (c.prf !== undefined && c.prf !== 'philox') throw new ImportError('prf', 'sbw has its own hard-wired Philox and no PRF option');
      engine = {
        scheme: 'vllm/sbw',
        seeding: c.sbw_scheme ?? 'selfhash',
        ...(cw !== undefined ? { contextWidth: cw } : {}),
        gamma: c.sbw_gamma ?? 0.5,
        delta: c.sbw_delta ?? 2,
        ...pv,
      };
      Object.assign(fieldOf, { seeding: 'sbw_scheme', gamma: 'sbw_gamma', delta: 'sbw_delta' });
      break;
  }
  return { engine, key: new EngineKey('vllm', 'integer', [k]), fieldOf, notes };
}
