/** `--json` outputs of radioactivity, plan, attribute and ledger. */
import { z } from 'zod';
import { alphaLevel, count, hex, logP, num, prob, schemeName, testName } from './common.js';

// Radioactivity, plan, attribute and ledger:
// Built from what the commands print today (packages/cli/test/json-schemas.test.ts runs
// each with --json and parses stdout with these, strictly). docs/OUTPUTS.md describes them.

const PoolTestSchema = z.strictObject({
  test: testName,
  scored: count,
  score: num,
  trials: count,
  expected: num,
  lnP: logP,
  log10P: logP,
  pValue: z.string(),
  payload: z.strictObject({ message: z.string(), matched: count, method: z.enum(['exact', 'union', 'bonferroni']) }).optional(),
});

const RadioactivitySummarySchema = z.strictObject({
  scheme: schemeName,
  alpha: alphaLevel,
  filter: z.strictObject({ name: z.string(), windows: count }).nullable(),
  accounting: z.strictObject({
    responses: count,
    tokens: count,
    excluded: count,
    duplicatesWithin: count,
    unselected: count,
    duplicatesAcross: count,
    scored: count,
  }),
  pooled: PoolTestSchema,
  families: z
    .strictObject({
      k: count,
      tests: z.array(z.strictObject({ family: count, scored: count, lnP: logP, log10P: logP })),
      fisherLnP: logP,
      fisherLog10P: logP,
    })
    .nullable(),
  decoys: z.strictObject({
    k: count,
    log10P: z.array(logP),
    medianLog10P: logP.nullable(),
    minLog10P: logP.nullable(),
    significant: count,
    ks: z.strictObject({ statistic: num, pValue: prob, method: z.enum(['exact', 'asymptotic']) }).nullable(),
    uniform: z.boolean().nullable(),
  }),
  verdict: z.enum(['detected', 'not-detected']),
});

/** What both radioactivity tests report over their variants (investigate's CombinedVerdict, plus the controls). */
const CombinedVerdictShape = {
  combinedLnP: logP,
  combinedLog10P: logP,
  combinedPValue: z.string(),
  verdict: z.enum(['detected', 'not-detected']),
  controlsOk: z.boolean(),
  warnings: z.array(z.string()),
};

// the logprob test's decoys: e-process p-values, conservative, so no KS check (as the open-model test's)
const EProcessDecoysSchema = z.strictObject({
  k: count,
  log10P: z.array(logP),
  medianLog10P: logP.nullable(),
  minLog10P: logP.nullable(),
  significant: count,
  ks: z.null(),
  uniform: z.null(),
});

/** The logprob test of one transcript (investigate's LogprobReport; docs/RADIOACTIVITY.md §4c). */
const LogprobReportSchema = z.strictObject({
  scheme: schemeName,
  alpha: alphaLevel,
  filter: z.strictObject({ name: z.string(), windows: count }).nullable(),
  accounting: z.strictObject({ responses: count, positions: count, noContext: count, excluded: count, unselected: count }),
  test: z.strictObject({ windows: count, observations: count, mean: prob, nullMean: prob, maxLnE: z.number().min(0), lnP: logP, log10P: logP }),
  decoys: EProcessDecoysSchema,
  verdict: z.enum(['detected', 'not-detected']),
  responses: z.strictObject({ withLogprobs: count, total: count }),
  tokens: z.strictObject({ tokens: count, unknownTokens: count, unknownAlternatives: count }),
});

export const RadioactivityOutputSchema = z.strictObject({
  command: z.literal('radioactivity'),
  alpha: alphaLevel,
  transcript: z.string(),
  control: z.string().nullable(),
  responses: count,
  families: z.strictObject({ k: count, source: z.enum(['hash', 'map']), labels: z.array(z.string()).optional() }).nullable(),
  decoys: z.strictObject({ k: count, seed: hex(64) }),
  variants: z.array(
    z.strictObject({
      variant: z.enum(['unfiltered', 'supervised', 'unsupervised']),
      filterDescription: z.string().nullable(),
      suspect: RadioactivitySummarySchema,
      control: RadioactivitySummarySchema.nullable(),
      controlsOk: z.boolean(),
      warnings: z.array(z.string()),
      verdict: z.enum(['detected', 'not-detected']),
    }),
  ),
  /** Present when the transcript has logprobs (probe --logprobs) and the logprob test ran: per variant (same filters), each one more test in the Bonferroni verdict. */
  logprob: z
    .array(z.strictObject({ variant: z.enum(['unfiltered', 'supervised', 'unsupervised']), suspect: LogprobReportSchema, control: LogprobReportSchema.nullable() }))
    .optional(),
  ...CombinedVerdictShape,
});
export type RadioactivityOutputJson = z.infer<typeof RadioactivityOutputSchema>;

// `radioactivity --model`: the open-model test (suspect weights in hand; docs/RADIOACTIVITY.md §4b)
const OpenModelDecoysSchema = EProcessDecoysSchema;

export const RadioactivityOpenModelOutputSchema = z.strictObject({
  command: z.literal('radioactivity'),
  test: z.literal('open-model'),
  model: z.string(),
  alpha: alphaLevel,
  decoys: z.strictObject({ k: count, seed: hex(64) }),
  variants: z.array(
    z.strictObject({
      variant: z.enum(['supervised', 'unsupervised']),
      description: z.string(),
      texts: count,
      responseTokens: count,
      unselected: count,
      scheme: schemeName,
      alpha: alphaLevel,
      positions: count,
      test: z.strictObject({
        windows: count,
        greenMass: z.strictObject({ observations: count, mean: prob, nullMean: prob, maxLnE: z.number().min(0), lnP: logP, log10P: logP }),
        argmax: z.strictObject({ scored: count, score: num, expected: num, lnP: logP, log10P: logP }),
        lnP: logP,
        log10P: logP,
      }),
      decoys: OpenModelDecoysSchema,
      verdict: z.enum(['detected', 'not-detected']),
    }),
  ),
  ...CombinedVerdictShape,
});
export type RadioactivityOpenModelOutputJson = z.infer<typeof RadioactivityOpenModelOutputSchema>;

const PlanSchema = z.strictObject({
  test: z.enum(['binomial', 'gamma']),
  p0: prob.nullable(),
  trialsPerToken: count,
  alternative: z.union([z.strictObject({ q: prob }), z.strictObject({ mean: num, sd: num })]),
  alpha: alphaLevel,
  power: prob,
  tokens: z.strictObject({ exact: count.nullable(), normal: count, critical: num.nullable(), attainedPower: prob.nullable() }),
  tokensPerResponse: z.number().positive().nullable(),
  queries: z.strictObject({ exact: count.nullable(), normal: count }).nullable(),
  notes: z.array(z.string()),
});

export const PlanOutputSchema = z.strictObject({
  command: z.literal('plan'),
  scheme: schemeName,
  nullModel: z.union([z.strictObject({ kind: z.literal('binomial'), trialsPerToken: count, p: prob }), z.strictObject({ kind: z.literal('gamma') })]),
  source: z.enum(['assumed', 'pilot']),
  pilot: z
    .strictObject({
      scored: count,
      responses: count,
      tokensPerResponse: num.nullable(),
      q: prob.nullable(),
      qLower: prob.nullable(),
      mean: num.nullable(),
      sd: num.nullable(),
      transcript: z.string(),
      filtered: z.boolean(),
    })
    .nullable(),
  plans: z.array(z.strictObject({ label: z.string(), plan: PlanSchema })),
});
export type PlanOutputJson = z.infer<typeof PlanOutputSchema>;

export const AttributeLeaksOutputSchema = z.strictObject({
  command: z.literal('attribute leaks'),
  alpha: alphaLevel,
  method: z.enum(['holm', 'bonferroni']),
  hypotheses: count,
  texts: z.array(
    z.strictObject({
      id: z.string(),
      scored: count,
      anyIdLnP: logP,
      anyIdLog10P: logP,
      decoded: z.string().regex(/^\d+$/),
      best: z
        .strictObject({ id: z.string().regex(/^\d+$/), account: z.string().nullable(), lnP: logP, lnPAdjusted: logP, log10PAdjusted: logP, pValueAdjusted: z.string() })
        .nullable(),
      named: z.boolean(),
      weakest: z
        .strictObject({ position: count, tuples: count, agreeing: count, lnP: logP, moreTuples: count.nullable() })
        .nullable(),
    }),
  ),
  named: z.array(z.strictObject({ id: z.string().regex(/^\d+$/), account: z.string().nullable(), texts: z.array(z.string()), minLog10PAdjusted: logP })),
});
export type AttributeLeaksOutput = z.infer<typeof AttributeLeaksOutputSchema>;

export const AttributeCloneOutputSchema = z.strictObject({
  command: z.literal('attribute clone'),
  transcript: z.string(),
  ledger: z.string(),
  alpha: alphaLevel,
  method: z.literal('exclusive-windows, holm'),
  accountsInUniverse: count,
  candidates: count,
  exclusivePositions: count,
  accounts: z.array(
    z.strictObject({
      account: z.string(),
      id: z.string().nullable(),
      exclusiveWindows: count,
      scored: count,
      score: num,
      expected: num,
      lnP: logP,
      lnPAdjusted: logP,
      log10PAdjusted: logP,
      pValueAdjusted: z.string(),
      named: z.boolean(),
    }),
  ),
  named: z.array(z.string()),
});
export type AttributeCloneOutput = z.infer<typeof AttributeCloneOutputSchema>;

/** `ledger lookup --json` (pretty, with `command` since issue 17; exit 1 when not found). */
export const LedgerLookupOutputSchema = z.strictObject({
  command: z.literal('ledger lookup'),
  sha256: hex(64),
  found: z.boolean(),
  responses: z.array(
    z.strictObject({
      seq: count,
      responseId: z.string(),
      choice: count,
      account: z.string(),
      accountId: count.nullable(),
      createdAt: z.string(),
      createdMs: count,
      specId: hex(64),
      modelId: z.string(),
      endpoint: z.string(),
      finishReason: z.string(),
      textSha256: hex(64),
      promptSha256: hex(64),
      promptTokens: count,
      completionTokens: count,
      windowCount: count,
      // ledger schema 2 (serve --upstream): the request parameters as JSON, the upstream's response id and token ids; null for responses tracemark generated
      params: z.string().nullable().optional(),
      upstreamId: z.string().nullable().optional(),
      tokenIds: z.array(count).nullable().optional(),
    }),
  ),
});
export type LedgerLookupOutput = z.infer<typeof LedgerLookupOutputSchema>;

/** `ledger info --json` (pretty, with `command` since issue 17). */
export const LedgerInfoOutputSchema = z.strictObject({
  command: z.literal('ledger info'),
  ledger: z.string(),
  specId: hex(64),
  keyFingerprint: hex(32),
  responses: count,
  windows: count,
  accounts: count,
  completionTokens: count,
});
export type LedgerInfoOutput = z.infer<typeof LedgerInfoOutputSchema>;
