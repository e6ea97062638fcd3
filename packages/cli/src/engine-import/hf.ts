/**
 * HF transformers watermarking configs → engine specs.
 *
 * `WatermarkingConfig` (generation/configuration_utils.py): greenlist_ratio 0.25, bias 2.0,
 * hashing_key 15485863, seeding_scheme "lefthash", context_width 1. The green lists are
 * prefixes of randperm(vocab size), so the vocab size (the model config's vocab_size)
 * must come from --vocab-size or --model-dir; the detector drops a leading BOS id
 * (bos_token_id from the model config, when given).
 *
 * `SynthIDTextWatermarkingConfig`: ngram_len and keys (required), context_history_size
 * 1024, sampling_table_seed 0, sampling_table_size 2^16, skip_first_ngram_calls false,
 * debug_mode false. The keys go to the key file; depth = number of keys.
 */
import { EngineKey } from '@tracemark/watermark';
import { z } from 'zod';
import { boolMsg, ImportError, integerOf, intMsg, numberMsg, parseConfig, type ImportContext, type Imported } from './common.js';

export const HF_DEFAULT_HASHING_KEY = 15485863n;

export const HfWatermarkingConfigSchema = z.strictObject({
  greenlist_ratio: z.number(numberMsg).optional(),
  bias: z.number(numberMsg).optional(),
  hashing_key: z.unknown().optional(),
  seeding_scheme: z.enum(['lefthash', 'selfhash'], { error: 'must be lefthash or selfhash' }).optional(),
  context_width: z.number(intMsg).int('must be an integer').min(1, 'must be ≥ 1').optional(),
});

export const HfSynthidConfigSchema = z.strictObject({
  ngram_len: z.number(intMsg).int('must be an integer').optional(),
  keys: z.array(z.unknown(), { error: 'must be a list of integers' }).optional(),
  context_history_size: z.number(intMsg).int('must be an integer').optional(),
  sampling_table_seed: z.number(intMsg).int('must be an integer').optional(),
  sampling_table_size: z.number(intMsg).int('must be an integer').optional(),
  skip_first_ngram_calls: z.boolean(boolMsg).optional(),
  debug_mode: z.boolean(boolMsg).optional(),
});

const KGW_HINTS: Record<string, string> = {
  gamma: 'HF calls it greenlist_ratio',
  delta: 'HF calls it bias',
  hash_key: 'HF calls it hashing_key',
  vocab_size: 'pass it as --vocab-size',
  ngram_len: 'that is a SynthID field (--engine hf-synthid)',
  keys: 'that is a SynthID field (--engine hf-synthid)',
};
const SYNTHID_HINTS: Record<string, string> = {
  top_k: 'that is a google-deepmind/synthid-text field (--engine synthid-text)',
  hashing_key: 'that is a WatermarkingConfig field (--engine hf)',
  eos_token_id: 'it comes from the model: pass --model-dir',
};

/** The vocab size from --vocab-size or the model config; a disagreement is an error. */
export function vocabSizeOf(ctx: ImportContext, engine: string): number {
  const flag = ctx.vocabSize;
  const model = ctx.model?.vocabSize;
  if (flag !== undefined && model !== undefined && flag !== model)
    throw new ImportError('vocab_size', `--vocab-size ${flag} disagrees with ${ctx.model!.path}/config.json (${model})`);
  const v = flag ?? model;
  if (v === undefined) throw new ImportError('vocab_size', `missing: ${engine} draws its green lists from the vocab size; pass --vocab-size N (the model config's vocab_size)${engine === 'HF' ? ' or --model-dir' : ''}`);
  return v;
}

export function keyListOf(field: string, keys: readonly unknown[] | undefined): bigint[] {
  if (keys === undefined) throw new ImportError(field, 'missing (the SynthID key list)');
  if (keys.length === 0) throw new ImportError(field, 'must not be empty');
  return keys.map((k, i) => integerOf(`${field}[${i}]`, k));
}

export function importHfKgw(input: unknown, ctx: ImportContext): Imported {
  const c = parseConfig(HfWatermarkingConfigSchema, input, 'HF WatermarkingConfig', KGW_HINTS);
  const vocabSize = vocabSizeOf(ctx, 'HF');
  const k = c.hashing_key === undefined ? HF_DEFAULT_HASHING_KEY : integerOf('hashing_key', c.hashing_key);
  const notes: string[] = [];
  if (c.hashing_key === undefined || k === HF_DEFAULT_HASHING_KEY)
    notes.push("hashing_key is HF's public default: anyone can read (and forge) this watermark");
  const seeding = c.seeding_scheme ?? 'lefthash';
  if (seeding === 'lefthash' && (c.context_width ?? 1) !== 1) notes.push('HF lefthash seeds on the last token only, whatever context_width says');
  const bos = ctx.model?.bosTokenId;
  return {
    engine: {
      scheme: 'hf/kgw',
      vocabSize,
      seeding,
      contextWidth: c.context_width ?? 1,
      greenlistRatio: c.greenlist_ratio ?? 0.25,
      bias: c.bias ?? 2,
      bosTokenId: bos ?? null,
    },
    key: new EngineKey('hf', 'integer', [k]),
    fieldOf: { key: 'hashing_key', vocabSize: 'vocab_size', seeding: 'seeding_scheme', contextWidth: 'context_width', greenlistRatio: 'greenlist_ratio', bias: 'bias', bosTokenId: 'bos_token_id' },
    notes,
  };
}

export function importHfSynthid(input: unknown, ctx: ImportContext): Imported {
  const c = parseConfig(HfSynthidConfigSchema, input, 'HF SynthIDTextWatermarkingConfig', SYNTHID_HINTS);
  if (c.ngram_len === undefined) throw new ImportError('ngram_len', 'missing (SynthIDTextWatermarkingConfig has no default)');
  const keys = keyListOf('keys', c.keys);
  const notes: string[] = [];
  if (c.debug_mode) notes.push('debug_mode generates without the watermark (HF replaces the scores); text made with it carries nothing to read');
  if (c.skip_first_ngram_calls) notes.push('skip_first_ngram_calls leaves the first ngram_len - 1 tokens unwatermarked; the reader still scores them');
  const eos = ctx.model?.eosTokenId;
  return {
    engine: {
      scheme: 'hf/synthid',
      ngramLen: c.ngram_len,
      depth: keys.length,
      contextHistorySize: c.context_history_size ?? 1024,
      samplingTableSize: c.sampling_table_size ?? 65536,
      samplingTableSeed: c.sampling_table_seed ?? 0,
      skipFirstNgramCalls: c.skip_first_ngram_calls ?? false,
      eosTokenId: eos ?? null,
    },
    key: new EngineKey('hf', 'list', keys),
    fieldOf: {
      keys: 'keys',
      depth: 'keys',
      ngramLen: 'ngram_len',
      contextHistorySize: 'context_history_size',
      samplingTableSize: 'sampling_table_size',
      samplingTableSeed: 'sampling_table_seed',
      skipFirstNgramCalls: 'skip_first_ngram_calls',
      eosTokenId: 'eos_token_id',
    },
    notes,
  };
}
