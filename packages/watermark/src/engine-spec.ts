/**
 * Engine specs (spec version 2): the watermark a serving engine embeds by itself, named
 * `<engine>/<algorithm>` and carrying the engine's own parameters under the engine's own
 * defaults. Version 1 specs (tracemark's SipHash schemes) are unchanged: a v1 spec keeps
 * its canonical JSON and therefore its specId, so existing ledgers and bundles still match.
 *
 * One schema per scheme; the key that goes with a scheme is described in engine-keys.ts.
 * Every field here changes which tokens score high, so a mismatch is an error.
 */
import { z } from 'zod';
import { specJsonValue, TokenizerIdSchema, type WatermarkSpec, WatermarkSpecSchema, SpecError } from './spec.js';

export const ENGINE_SPEC_VERSION = 2;

const int = (what: string, min: number, max: number) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be an integer`).min(min, `${what} must be ${min}..${max}`).max(max, `${what} must be ${min}..${max}`);
const open01 = (what: string) => z.number({ error: `${what} must be a number` }).gt(0, `${what} must be > 0`).lt(1, `${what} must be < 1`);
const closed01 = (what: string) => z.number({ error: `${what} must be a number` }).min(0, `${what} must be ≥ 0`).max(1, `${what} must be ≤ 1`);
const bias = z.number({ error: 'delta must be a number' }).gt(0, 'delta must be > 0').max(20, 'delta must be ≤ 20');
const pValueThreshold = open01('pValueThreshold').default(0.01);
const vocabSize = int('vocabSize', 2, 2 ** 24);
const tokenId = int('token id', 0, 2 ** 31 - 1);

/** vLLM `--watermark-config` algorithms (vllm/v1/watermarking). Context: generated tokens only, -1 pads. */
const vllmCommon = {
  contextWidth: int('contextWidth', 1, 64).default(4),
  pValueThreshold,
  /**
   * Generation-side dedup (vLLM's deduplicate_contexts): "single_turn" samples a context
   * already seen in this response without the watermark, "all" also searches the prompt,
   * "none" never skips. Embedding only: detection always scores each tuple once.
   */
  deduplicateContexts: z.enum(['single_turn', 'all', 'none'], { error: 'deduplicateContexts must be single_turn, all or none' }).default('single_turn'),
};
export const VllmGumbelSchema = z.strictObject({
  scheme: z.literal('vllm/gumbel'),
  prf: z.enum(['philox', 'philox_legacy', 'hmac_sha256'], { error: 'prf must be philox, philox_legacy or hmac_sha256' }).default('philox'),
  ...vllmCommon,
});
export const VllmDualKeySchema = z.strictObject({
  scheme: z.literal('vllm/dual_key_gumbel'),
  prf: z.literal('philox', { error: 'dual_key_gumbel only exists with the philox PRF' }).default('philox'),
  alpha: closed01('alpha').default(0.1),
  ...vllmCommon,
});
export const VllmRedGreenSchema = z.strictObject({
  scheme: z.literal('vllm/red_green'),
  prf: z.literal('philox', { error: 'red_green only exists with the philox PRF' }).default('philox'),
  gamma: open01('gamma').default(0.25),
  delta: bias.default(2),
  ...vllmCommon,
});
export const VllmSynthidSchema = z.strictObject({
  scheme: z.literal('vllm/synthid'),
  prf: z.literal('philox', { error: 'vLLM synthid requires the philox PRF' }).default('philox'),
  depth: int('depth', 1, 32).default(32),
  ...vllmCommon,
});
export const VllmSbwSchema = z.strictObject({
  scheme: z.literal('vllm/sbw'),
  seeding: z.enum(['selfhash', 'lefthash'], { error: 'seeding must be selfhash or lefthash' }).default('selfhash'),
  /** Default 4 for selfhash, 1 for lefthash (filled by parseEngineSpec). */
  contextWidth: int('contextWidth', 1, 64).optional(),
  gamma: open01('gamma').default(0.5),
  delta: bias.default(2),
  /**
   * lefthash only: the PR's generator seeds from raw token ids and its detector from hashed
   * ones, so the engine cannot read its own output; "generator" reads what the engine wrote.
   */
  lefthashRule: z.enum(['generator', 'detector'], { error: 'lefthashRule must be generator or detector' }).default('generator'),
  pValueThreshold,
  deduplicateContexts: vllmCommon.deduplicateContexts,
});

/** SGLang Aaronson-Gumbel (single or dual key). Context: the last h tokens of prompt + completion. */
export const SglangGumbelSchema = z.strictObject({
  scheme: z.literal('sglang/gumbel'),
  contextWidth: int('contextWidth', 1, 64).default(4),
  dualKey: z.boolean({ error: 'dualKey must be true or false' }).default(false),
  mixingProbability: open01('mixingProbability').default(0.5),
});

/** HF transformers WatermarkLogitsProcessor (KGW). Green lists are randperm(vocabSize) prefixes. */
export const HfKgwSchema = z.strictObject({
  scheme: z.literal('hf/kgw'),
  vocabSize,
  seeding: z.enum(['lefthash', 'selfhash'], { error: 'seeding must be lefthash or selfhash' }).default('lefthash'),
  contextWidth: int('contextWidth', 1, 64).default(1),
  greenlistRatio: open01('greenlistRatio').default(0.25),
  bias: bias.default(2),
  bosTokenId: tokenId.nullable().default(null),
  zThreshold: z.number({ error: 'zThreshold must be a number' }).default(3),
});

/** jwkirchenbauer/lm-watermarking (the KGW reference code). */
export const LmWatermarkingSchema = z.strictObject({
  scheme: z.literal('lm-watermarking/kgw'),
  vocabSize,
  seeding: z.enum(['lefthash', 'selfhash'], { error: 'seeding must be lefthash or selfhash' }).default('lefthash'),
  gamma: open01('gamma').default(0.25),
  delta: bias.default(2),
  zThreshold: z.number({ error: 'zThreshold must be a number' }).default(4),
});

const synthidCommon = {
  ngramLen: int('ngramLen', 2, 64).default(5),
  /** Number of keys (g-value layers); the keys themselves are secret and live in the key file. */
  depth: int('depth', 1, 64),
  contextHistorySize: int('contextHistorySize', 1, 1 << 20).default(1024),
  eosTokenId: tokenId.nullable().default(null),
};
/** HF transformers SynthIDTextWatermarkLogitsProcessor. */
export const HfSynthidSchema = z.strictObject({
  scheme: z.literal('hf/synthid'),
  ...synthidCommon,
  samplingTableSize: int('samplingTableSize', 2, 2 ** 24).refine((n) => Number.isInteger(Math.log2(n)), 'samplingTableSize must be a power of two').default(65536),
  samplingTableSeed: int('samplingTableSeed', 0, 2 ** 32 - 1).default(0),
  skipFirstNgramCalls: z.boolean({ error: 'skipFirstNgramCalls must be true or false' }).default(false),
});
/** google-deepmind/synthid-text (addb4a15): IV from SHA-256 of the keys, LCG g-values, top-k reweighting. */
export const SynthidTextSchema = z.strictObject({
  scheme: z.literal('synthid-text/synthid'),
  ...synthidCommon,
  topK: int('topK', 1, 1 << 20).default(40),
});

export const ENGINE_SCHEMES = [
  'vllm/gumbel',
  'vllm/dual_key_gumbel',
  'vllm/red_green',
  'vllm/synthid',
  'vllm/sbw',
  'sglang/gumbel',
  'hf/kgw',
  'lm-watermarking/kgw',
  'hf/synthid',
  'synthid-text/synthid',
] as const;
export type EngineSchemeName = (typeof ENGINE_SCHEMES)[number];

export const EngineSchemeSchema = z.discriminatedUnion(
  'scheme',
  [VllmGumbelSchema, VllmDualKeySchema, VllmRedGreenSchema, VllmSynthidSchema, VllmSbwSchema, SglangGumbelSchema, HfKgwSchema, LmWatermarkingSchema, HfSynthidSchema, SynthidTextSchema],
  { error: `engine.scheme must be one of ${ENGINE_SCHEMES.join(', ')}` },
);

export const EngineSpecSchema = z
  .strictObject({
    version: z.literal(ENGINE_SPEC_VERSION),
    id: z.string().min(1).max(200).optional(),
    tokenizer: TokenizerIdSchema,
    engine: EngineSchemeSchema,
    keyFingerprint: z.string().regex(/^[0-9a-f]{32}$/, 'keyFingerprint must be 32 lowercase hex characters'),
  })
  .superRefine((s, ctx) => {
    const e = s.engine;
    if (e.scheme === 'vllm/gumbel' && e.prf === 'philox_legacy' && e.contextWidth > 16) {
      ctx.addIssue({ code: 'custom', path: ['engine', 'contextWidth'], message: 'the philox_legacy PRF caps contextWidth at 16' });
    }
  })
  .transform((s) => (s.engine.scheme === 'vllm/sbw' && s.engine.contextWidth === undefined ? { ...s, engine: { ...s.engine, contextWidth: s.engine.seeding === 'lefthash' ? 1 : 4 } } : s));

export type EngineSpec = z.output<typeof EngineSpecSchema>;
export type EngineSpecInput = z.input<typeof EngineSpecSchema>;
export type EngineScheme = EngineSpec['engine'];
/** Any spec this build reads: tracemark's own (version 1) or an engine's (version 2). */
export type AnySpec = WatermarkSpec | EngineSpec;

export function isEngineSpec(spec: AnySpec): spec is EngineSpec {
  return spec.version === ENGINE_SPEC_VERSION;
}

/** The engine family a scheme name belongs to (what its key looks like). */
export function engineOf(scheme: EngineSchemeName): 'vllm' | 'sglang' | 'hf' | 'lm-watermarking' | 'synthid-text' {
  return scheme.slice(0, scheme.indexOf('/')) as 'vllm' | 'sglang' | 'hf' | 'lm-watermarking' | 'synthid-text';
}

function issuesMessage(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function parseEngineSpec(input: unknown): EngineSpec {
  const r = EngineSpecSchema.safeParse(input);
  if (r.success) return r.data;
  throw new SpecError(`invalid watermark spec: ${issuesMessage(r.error.issues)}`);
}

/** Version 1 → tracemark's own spec, version 2 → an engine spec; anything else is refused by name. */
export function parseAnySpec(input: unknown): AnySpec {
  const v = typeof input === 'object' && input !== null ? (input as { version?: unknown }).version : undefined;
  if (v === ENGINE_SPEC_VERSION) return parseEngineSpec(input);
  if (v === 1) {
    const r = WatermarkSpecSchema.safeParse(input);
    if (r.success) return r.data;
    throw new SpecError(`invalid watermark spec: ${issuesMessage(r.error.issues)}`);
  }
  throw new SpecError(`invalid watermark spec: version: spec version ${JSON.stringify(v)} is not supported (this build reads versions 1 and ${ENGINE_SPEC_VERSION})`);
}

export function parseAnySpecJson(text: string): AnySpec {
  return parseAnySpec(specJsonValue(text));
}

/**
 * The context width as the engine's own configuration states it (for describing a scheme).
 * Not always the tokens a reader needs before a position: HF lefthash seeds on the last token
 * whatever context_width says, and self-salted windows include the candidate — the reader's
 * `contextWidth` is that number.
 */
export function engineContextWidth(e: EngineScheme): number {
  switch (e.scheme) {
    case 'vllm/sbw':
      return e.contextWidth ?? (e.seeding === 'lefthash' ? 1 : 4);
    case 'lm-watermarking/kgw':
      return e.seeding === 'lefthash' ? 1 : 4;
    case 'hf/synthid':
    case 'synthid-text/synthid':
      return e.ngramLen - 1;
    default:
      return e.contextWidth;
  }
}
