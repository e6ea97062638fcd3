/**
 * The research reference implementations' settings → engine specs.
 *
 * google-deepmind/synthid-text (addb4a15): ngram_len, keys, context_history_size (1024),
 * top_k (40 in its examples; generation only), device (ignored). That commit has no
 * sampling table: a config with sampling_table_size / sampling_table_seed is from an
 * older synthid-text whose g-values this build does not compute, and is refused.
 *
 * jwkirchenbauer/lm-watermarking (extended_watermark_processor.py, fb602de9): gamma
 * 0.25, delta 2.0, seeding_scheme "selfhash" (the WatermarkBase default) — also
 * "algorithm-3"; "lefthash" / "simple_1"; and the free-form
 * "ff-additive_prf-1-False[-key]" / "ff-anchored_minhash_prf-4-True[-key]" that name
 * the same two PRFs with another hash key. hash_key (default 15485863) may be given as
 * its own field. Detector settings: z_threshold (4.0), ignore_repeated_ngrams (true),
 * normalizers (ignored); the vocab size is len(vocab) or --vocab-size.
 */
import { EngineKey } from '@tracemark/watermark';
import { z } from 'zod';
import { boolMsg, ImportError, integerOf, intMsg, numberMsg, parseConfig, type ImportContext, type Imported } from './common.js';
import { HF_DEFAULT_HASHING_KEY, keyListOf, vocabSizeOf } from './hf.js';

export const SynthidTextConfigSchema = z.strictObject({
  ngram_len: z.number(intMsg).int('must be an integer').optional(),
  keys: z.array(z.unknown(), { error: 'must be a list of integers' }).optional(),
  context_history_size: z.number(intMsg).int('must be an integer').optional(),
  top_k: z.number(intMsg).int('must be an integer').optional(),
  device: z.string({ error: 'must be a string' }).optional(),
  sampling_table_size: z.unknown().optional(),
  sampling_table_seed: z.unknown().optional(),
});

export function importSynthidText(input: unknown): Imported {
  const c = parseConfig(SynthidTextConfigSchema, input, 'synthid-text', { hashing_key: 'that is an HF field (--engine hf)' });
  for (const f of ['sampling_table_size', 'sampling_table_seed'] as const) {
    if (c[f] !== undefined)
      throw new ImportError(f, 'this config is from a synthid-text older than addb4a15 (sampling-table g-values), which this build does not read; HF transformers still uses sampling tables: try --engine hf-synthid');
  }
  if (c.ngram_len === undefined) throw new ImportError('ngram_len', 'missing');
  const keys = keyListOf('keys', c.keys);
  return {
    engine: {
      scheme: 'synthid-text/synthid',
      ngramLen: c.ngram_len,
      depth: keys.length,
      contextHistorySize: c.context_history_size ?? 1024,
      topK: c.top_k ?? 40,
    },
    key: new EngineKey('synthid-text', 'list', keys),
    fieldOf: { keys: 'keys', depth: 'keys', ngramLen: 'ngram_len', contextHistorySize: 'context_history_size', topK: 'top_k' },
    notes: c.top_k === undefined ? ['top_k not given: 40 (it changes generation only, not how text is read)'] : [],
  };
}

export const LmWatermarkingConfigSchema = z.strictObject({
  seeding_scheme: z.string({ error: 'must be a string' }).optional(),
  gamma: z.number(numberMsg).optional(),
  delta: z.number(numberMsg).optional(),
  hash_key: z.unknown().optional(),
  vocab: z.array(z.number(intMsg).int(), { error: 'must be a list of token ids' }).optional(),
  select_green_tokens: z.boolean(boolMsg).optional(),
  z_threshold: z.number(numberMsg).optional(),
  ignore_repeated_ngrams: z.boolean(boolMsg).optional(),
  normalizers: z.array(z.string(), { error: 'must be a list of names' }).optional(),
});

/** A seeding_scheme name → the seeding tracemark reads, and the key an ff- name carries. */
function lmSeeding(name: string): { seeding: 'lefthash' | 'selfhash'; key?: bigint } {
  if (name === 'lefthash' || name === 'simple_1') return { seeding: 'lefthash' };
  if (name === 'selfhash' || name === 'algorithm-3') return { seeding: 'selfhash' };
  const m = /^ff-(additive_prf-1-False|anchored_minhash_prf-4-True)(?:-(\d{1,80}))?$/.exec(name);
  if (m) return { seeding: m[1]!.startsWith('additive') ? 'lefthash' : 'selfhash', ...(m[2] !== undefined ? { key: BigInt(m[2]) } : {}) };
  throw new ImportError(
    'seeding_scheme',
    'not one this build reads: lefthash (simple_1, ff-additive_prf-1-False[-key]) or selfhash (algorithm-3, ff-anchored_minhash_prf-4-True[-key])',
  );
}

export function importLmWatermarking(input: unknown, ctx: ImportContext): Imported {
  const c = parseConfig(LmWatermarkingConfigSchema, input, 'lm-watermarking', { greenlist_ratio: 'lm-watermarking calls it gamma', hashing_key: 'lm-watermarking calls it hash_key' });
  const { seeding, key: ffKey } = lmSeeding(c.seeding_scheme ?? 'selfhash');
  if (ffKey !== undefined && c.hash_key !== undefined) throw new ImportError('hash_key', 'given twice (also in seeding_scheme)');
  if (c.select_green_tokens === false) throw new ImportError('select_green_tokens', 'false (the legacy red-list selection) is not read by this build');
  const k = c.hash_key !== undefined ? integerOf('hash_key', c.hash_key) : (ffKey ?? HF_DEFAULT_HASHING_KEY);
  let vocabSize: number;
  if (c.vocab !== undefined) {
    if (ctx.vocabSize !== undefined && ctx.vocabSize !== c.vocab.length) throw new ImportError('vocab', `has ${c.vocab.length} ids but --vocab-size is ${ctx.vocabSize}`);
    vocabSize = c.vocab.length;
  } else vocabSize = vocabSizeOf(ctx, 'lm-watermarking');
  const notes: string[] = [];
  if (k === HF_DEFAULT_HASHING_KEY) notes.push("the hash key is lm-watermarking's public default: anyone can read (and forge) this watermark");
  if (c.ignore_repeated_ngrams === false) notes.push('ignore_repeated_ngrams false: the engine counts repeats, the reader scores each distinct n-gram once');
  if (c.normalizers !== undefined) notes.push('normalizers are not applied (they change text before tokenizing)');
  return {
    engine: {
      scheme: 'lm-watermarking/kgw',
      vocabSize,
      seeding,
      gamma: c.gamma ?? 0.25,
      delta: c.delta ?? 2,
      zThreshold: c.z_threshold ?? 4,
    },
    key: new EngineKey('lm-watermarking', 'integer', [k]),
    fieldOf: { key: c.hash_key !== undefined ? 'hash_key' : 'seeding_scheme', vocabSize: c.vocab !== undefined ? 'vocab' : 'vocab_size', seeding: 'seeding_scheme', gamma: 'gamma', delta: 'delta', zThreshold: 'z_threshold' },
    notes,
  };
}
