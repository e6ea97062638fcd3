/**
 * zod schemas of the JSON results (for the CLI's --json output, reports and
 * consumers in other languages). test/schemas.test.ts parses real results with
 * them in strict mode, so the schemas and the TypeScript types cannot drift.
 */
import { z } from 'zod';
import { DocSummarySchema, ScanTotalsSchema } from './corpus/tally.js';

const lnP = z.number().max(0).describe('natural log of the p-value (≤ 0; may be far below ln 1e-308)');
const log10P = z.number().max(0).describe('log10 of the p-value');
const pValue = z.string().describe('the p-value for display, e.g. "3.2e-412"');
const count = z.number().int().nonnegative();

export const DigitEstimateSchema = z.strictObject({
  position: count,
  n: count,
  counts: z.array(count),
  digit: count,
  margin: z.number(),
  confidence: z.number().min(0).max(1),
});

export const PayloadResultSchema = z.strictObject({
  bits: count,
  digitBits: count,
  message: z.string().regex(/^\d+$/).describe('decoded id, decimal'),
  messageHex: z.string().regex(/^0x[0-9a-f]+$/),
  digits: z.array(DigitEstimateSchema),
  scored: count,
  matched: count,
  expectedPerId: z.number(),
  expectedBest: z.number().describe('E[M] under H0: the best-matching id’s expected agreement'),
  expectedBestMethod: z.enum(['exact', 'normal']),
  z: z.number().describe('Φ⁻¹(1 − mid-p) of the payload test: a summary'),
  lnP,
  log10P,
  pValue,
  method: z.enum(['exact', 'union', 'bonferroni']).describe('how the family-wise p-value over all ids was computed'),
  lnPBonferroni: lnP,
  confidence: z.number().min(0).max(1),
});

export const NormalizationSchema = z.strictObject({
  rule: z.literal('min-of-two, Bonferroni x2').describe('the text changed under normalizeText: both versions were tested'),
  scored: z.enum(['as-given', 'normalized']).describe('the version whose result is reported'),
  lnPAsGiven: lnP,
  lnPNormalized: lnP,
});

export const DetectionResultSchema = z.strictObject({
  scheme: z.enum(['kgw', 'gumbel', 'synthid', 'unigram']),
  keyFingerprint: z.string().regex(/^[0-9a-f]{32}$/),
  specId: z.string().optional(),
  tokens: count,
  scored: count.describe('distinct (window, token) tuples scored: the n of the test'),
  duplicates: count,
  excluded: count,
  noContext: count,
  special: count,
  specialStrings: count,
  chunkedRuns: count,
  dedup: z.boolean(),
  tooShort: z.boolean(),
  test: z.enum(['binomial', 'gamma', 'payload']),
  score: z.number(),
  trials: count,
  expected: z.number(),
  z: z.number().describe('summary only; not used for the p-value'),
  lnP,
  log10P,
  pValue,
  payload: PayloadResultSchema.optional(),
  normalization: NormalizationSchema.optional(),
});

export const WindowResultSchema = z.strictObject({
  startToken: count,
  endToken: count,
  charStart: count.optional(),
  charEnd: count.optional(),
  scored: count,
  score: z.number(),
  lnPRaw: lnP,
  lnP,
  log10P,
  pValue,
});

export const LocalizationResultSchema = z.strictObject({
  windowSizes: z.array(z.number().int().positive()),
  windowsScanned: count,
  correction: z.literal('bonferroni'),
  alpha: z.number(),
  best: WindowResultSchema.nullable(),
  lnP,
  log10P,
  pValue,
  spans: z.array(WindowResultSchema),
});

export const IdTestSchema = z.strictObject({
  id: z.string().regex(/^\d+$/),
  matched: count,
  scored: count,
  lnP,
  lnPAdjusted: lnP,
  log10PAdjusted: log10P,
  pValueAdjusted: pValue,
});

export const NovelResultSchema = z.strictObject({ scored: count, score: z.number(), lnP });

export const DocumentResultSchema = z.strictObject({
  index: count,
  source: z.string(),
  line: count,
  id: z.string().optional(),
  result: DetectionResultSchema,
  novel: NovelResultSchema,
});

export const PooledResultSchema = z.strictObject({
  dedup: z.enum(['global', 'global-partial', 'per-document']),
  dedupOverflowAt: count.optional(),
  dedupEntries: count,
  dedupBytes: count,
  test: z.enum(['binomial', 'gamma', 'payload']),
  scored: count,
  score: z.number(),
  trials: count,
  expected: z.number(),
  z: z.number(),
  lnP,
  log10P,
  pValue,
  payload: PayloadResultSchema.optional(),
});

export const FisherResultSchema = z.strictObject({ documents: count, statistic: z.number(), lnP, log10P, pValue });

export const ScanSummarySchema = z.strictObject({
  scheme: z.enum(['kgw', 'gumbel', 'synthid', 'unigram']),
  keyFingerprint: z.string().regex(/^[0-9a-f]{32}$/),
  files: count,
  ...ScanTotalsSchema.shape,
  pooled: PooledResultSchema,
  fisher: FisherResultSchema,
  workers: count,
  mostMarked: z.array(DocSummarySchema).optional(),
  progress: z.strictObject({ complete: z.boolean(), resumedFrom: count, documentsDone: count }).optional(),
});
