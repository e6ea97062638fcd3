/**
 * WatermarkSpec: the one object both the embedder and the detector read.
 * Everything that changes which tokens are green (or which g-values a token
 * has) lives here, so a mismatch is an error rather than a silent miss.
 */
import { z } from 'zod';

export const SPEC_VERSION = 1;

/** tiktoken encodings, or `hf:<name>` for a model's own tokenizer (real-model adapter). */
export const TIKTOKEN_ENCODINGS = ['o200k_base', 'cl100k_base', 'p50k_base', 'r50k_base', 'gpt2'] as const;
export const TokenizerIdSchema = z
  .string({ error: 'tokenizer must be a string' })
  .refine((t) => (TIKTOKEN_ENCODINGS as readonly string[]).includes(t) || /^hf:[A-Za-z0-9._\/-]+$/.test(t), {
    error: `tokenizer must be one of ${TIKTOKEN_ENCODINGS.join(', ')} or "hf:<model-name>"`,
  });

const gamma = z.number().gt(0, 'gamma must be > 0').lt(1, 'gamma must be < 1');
const delta = z.number().gt(0, 'delta must be > 0').max(20, 'delta must be ≤ 20');

export const KgwSchemeSchema = z.strictObject({
  name: z.literal('kgw'),
  gamma: gamma.default(0.25),
  delta: delta.default(2),
});
export const GumbelSchemeSchema = z.strictObject({ name: z.literal('gumbel') });
export const SynthIdSchemeSchema = z.strictObject({
  name: z.literal('synthid'),
  layers: z.number().int().min(1, 'layers must be ≥ 1').max(64, 'layers must be ≤ 64 (one 64-bit PRF output per token)').default(30),
});
export const UnigramSchemeSchema = z.strictObject({
  name: z.literal('unigram'),
  gamma: gamma.default(0.25),
  delta: delta.default(2),
});
export const SchemeSchema = z.discriminatedUnion('name', [
  KgwSchemeSchema,
  GumbelSchemeSchema,
  SynthIdSchemeSchema,
  UnigramSchemeSchema,
], { error: 'scheme.name must be one of kgw, gumbel, synthid, unigram' });

export const ContextSchema = z.strictObject({
  width: z.number().int().min(1, 'context width h must be 1..8').max(8, 'context width h must be 1..8').default(1),
  mode: z.enum(['left', 'min', 'self'], { error: 'context mode must be left, min or self' }).default('left'),
});

export const PayloadSchema = z.strictObject({
  bits: z.number().int().min(16, 'payload bits must be 16..64').max(64, 'payload bits must be 16..64'),
  digitBits: z.number().int().min(1, 'digitBits must be 1..4').max(4, 'digitBits must be 1..4').default(2),
});

export const WatermarkSpecSchema = z
  .strictObject({
    version: z.literal(SPEC_VERSION, {
      error: (iss) => `spec version ${JSON.stringify(iss.input)} is not supported (this build reads version ${SPEC_VERSION})`,
    }),
    id: z.string().min(1).max(200).optional(),
    tokenizer: TokenizerIdSchema.default('o200k_base'),
    scheme: SchemeSchema,
    context: ContextSchema.default({ width: 1, mode: 'left' }),
    payload: PayloadSchema.nullable().default(null),
    keyFingerprint: z.string().regex(/^[0-9a-f]{32}$/, 'keyFingerprint must be 32 lowercase hex characters'),
  })
  .superRefine((s, ctx) => {
    if (s.payload) {
      if (s.scheme.name !== 'kgw') {
        ctx.addIssue({ code: 'custom', path: ['payload'], message: 'a payload is only defined for the kgw scheme' });
      } else if (s.payload.bits % s.payload.digitBits !== 0) {
        ctx.addIssue({ code: 'custom', path: ['payload', 'digitBits'], message: 'payload bits must be a multiple of digitBits' });
      } else if (s.scheme.gamma * 2 ** s.payload.digitBits > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['scheme', 'gamma'],
          message: `with digitBits ${s.payload.digitBits} the ${2 ** s.payload.digitBits} coloured lists need gamma ≤ ${1 / 2 ** s.payload.digitBits}`,
        });
      }
    }
  });

export type WatermarkSpec = z.output<typeof WatermarkSpecSchema>;
export type WatermarkSpecInput = z.input<typeof WatermarkSpecSchema>;
export type Scheme = WatermarkSpec['scheme'];
export type ContextMode = WatermarkSpec['context']['mode'];

export class SpecError extends Error {
  override name = 'SpecError';
}

/** Validate unknown JSON as a spec; the error names the first bad field precisely. */
export function parseSpec(input: unknown): WatermarkSpec {
  const r = WatermarkSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new SpecError(`invalid watermark spec: ${msgs.join('; ')}`);
}

export function parseSpecJson(text: string): WatermarkSpec {
  return parseSpec(specJsonValue(text));
}

/** The JSON value of a spec file's text; SpecError when it is not JSON. */
export function specJsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SpecError(`spec is not valid JSON: ${(e as Error).message}`);
  }
}

/** A stable id for the spec's content: what the ledger and evidence bundles cite. */
export function canonicalSpecJson(spec: WatermarkSpec): string {
  return canonicalJson(spec);
}

/** JSON with object keys sorted recursively, no whitespace. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
