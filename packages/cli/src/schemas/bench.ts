/** `bench --json`. */
import { EngineSpecSchema, WatermarkSpecSchema } from '@tracemark/watermark';
import { z } from 'zod';
import { count, hex, logP, num, prob } from './common.js';

const RateAtSchema = z.strictObject({ fpr: prob, k: count, n: count, rate: prob, lo: prob, hi: prob });
const NullRateAtSchema = RateAtSchema.extend({ verdict: z.enum(['ok', 'conservative', 'anti-conservative']) });
const NullSummarySchema = z.strictObject({ cells: count, perCellAbove: count, familywiseAbove: count, perCellMiss: count, familywiseMiss: count });

/** `bench --json`: the full results (= <out>/results.json); no `command` field (`tool` names it). */
/** A benchmark's results as written to results.json (docs/bench/results.json and the like). */
export const BenchResultsSchema = z.strictObject({
  tool: z.literal('tracemark bench'),
  format: count,
  config: z.strictObject({
    seed: count,
    schemes: z.array(z.string()),
    lengths: z.array(count),
    temperatures: z.array(num),
    samples: count,
    nullSamples: count,
    fprs: z.array(prob),
    attacks: z.array(z.string()),
    attackLength: count,
    attackTemperature: num,
    copyPasteTokens: count,
    paraphrase: z.strictObject({ url: z.string(), model: z.string() }).optional(),
    quick: z.boolean(),
  }),
  environment: z.strictObject({
    node: z.string(),
    packages: z.record(z.string(), z.string()),
    model: z.strictObject({ id: z.string(), order: count, vocabSize: count, endOfText: z.string() }),
    tokenizer: z.string(),
    corpusFingerprint: z.string(),
    normalization: z.string(),
  }),
  schemes: z.array(z.strictObject({ id: z.string(), label: z.string(), keyFingerprint: hex(32), spec: z.union([WatermarkSpecSchema, EngineSpecSchema]) })),
  data: z.strictObject({
    prompts: z.strictObject({ split: z.literal('heldout'), count }),
    humanNull: z.strictObject({ split: z.literal('calibration'), texts: count, tokens: count }),
    copyPasteHosts: z.strictObject({ split: z.literal('heldout'), texts: count, tokens: count }),
  }),
  detection: z.array(
    z.strictObject({ scheme: z.string(), temperature: num, length: count, samples: count, meanTokens: num, meanScored: num, medianLog10P: logP, tpr: z.array(RateAtSchema) }),
  ),
  sanity: z.array(
    z.strictObject({ scheme: z.string(), temperature: num, length: count, samples: count, meanTokens: num, meanScored: num, medianLog10P: logP, tpr: z.array(RateAtSchema) }),
  ),
  fpr: z.array(z.strictObject({ scheme: z.string(), nullSet: z.string(), length: count, texts: count, rows: z.array(NullRateAtSchema) })),
  size: z.array(
    z.strictObject({
      scheme: z.string(),
      temperature: num,
      horizon: count,
      samples: count,
      alphas: z.array(
        z.strictObject({
          alpha: prob,
          median: num.nullable(),
          q1: num.nullable(),
          q3: num.nullable(),
          everDetected: prob,
          detectedAtHorizon: prob,
          sizes: z.array(count.nullable()),
        }),
      ),
    }),
  ),
  quality: z.array(
    z.strictObject({ scheme: z.string(), temperature: num, samples: count, tokens: count, perplexity: num, perplexityRatio: num, distinct2: num, distinct3: num }),
  ),
  attacks: z.array(
    z.strictObject({
      attack: z.string(),
      name: z.string(),
      description: z.string(),
      param: z.string(),
      scheme: z.string(),
      samples: count,
      appliedRate: num.nullable(),
      meanTokens: num,
      medianLog10P: logP,
      tpr: z.array(RateAtSchema),
      tprNormalized: z.array(RateAtSchema),
      tprWindowed: z.array(RateAtSchema).optional(),
      medianLog10PWindowed: logP.optional(),
    }),
  ),
  copyPasteNull: z.array(z.strictObject({ scheme: z.string(), texts: count, meanTokens: num, whole: z.array(NullRateAtSchema), windowed: z.array(NullRateAtSchema) })),
  fprRecheck: z.array(
    z.strictObject({
      scheme: z.string(),
      nullSet: z.string(),
      keys: count,
      texts: count,
      lengths: z.array(z.strictObject({ length: count, rows: z.array(NullRateAtSchema) })),
    }),
  ),
  engineOwn: z
    .array(z.strictObject({ scheme: z.string(), set: z.string(), length: count, texts: count, statistic: z.string(), rule: z.enum(['verdict', 'p ≤ 0.01', 'none']), called: count, rate: prob.nullable() }))
    .optional(),
  nullSummary: z.strictObject({ sanity: NullSummarySchema, fpr: NullSummarySchema, copyPaste: NullSummarySchema }),
  timing: z.strictObject({
    totalSeconds: z.number().nonnegative(),
    workers: count,
    phases: z.record(z.string(), z.number().nonnegative()),
    generation: z.array(z.strictObject({ scheme: z.string(), temperature: num, tokens: count, tokensPerSecond: z.number().nonnegative() })),
    detection: z.array(z.strictObject({ scheme: z.string(), tokens: count, tokensPerSecond: z.number().nonnegative() })),
  }),
});
/** `tracemark bench --json`: the results with the command's name, like every other command's output. */
export const BenchOutputSchema = z.strictObject({ command: z.literal('bench'), ...BenchResultsSchema.shape });
export type BenchOutput = z.infer<typeof BenchOutputSchema>;
