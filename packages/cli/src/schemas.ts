/**
 * zod schemas of every command's `--json` output (stdout, one JSON document). Exported
 * so that scripts and tests can validate what the CLI prints.
 */
import { WatermarkSpecSchema } from '@tracemark/watermark';
import { z } from 'zod';
import { SequentialProbeSchema } from '@tracemark/investigate';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));
/** ln p / log10 p: finite numbers ≤ 0 (log space: never underflows to -Infinity). */
const logP = z.number().max(0);
const num = z.number();
const count = z.number().int().nonnegative();
const schemeName = z.enum(['kgw', 'gumbel', 'synthid', 'unigram']);
const testName = z.enum(['binomial', 'gamma', 'payload']);

export const KeygenOutputSchema = z.strictObject({
  command: z.literal('keygen'),
  kind: z.enum(['watermark', 'signing']),
  path: z.string(),
  /** Watermark key: its public fingerprint. Signing key: the public key's id. */
  fingerprint: hex(32),
  /** Signing keys only: the Ed25519 public key (hex). */
  publicKey: hex(64).optional(),
});
export type KeygenOutput = z.infer<typeof KeygenOutputSchema>;

export const SpecInitOutputSchema = z.strictObject({
  command: z.literal('spec init'),
  path: z.string(),
  specId: hex(64),
  spec: WatermarkSpecSchema,
  notes: z.array(z.string()),
});
export type SpecInitOutput = z.infer<typeof SpecInitOutputSchema>;

export const SpecShowOutputSchema = z.strictObject({
  command: z.literal('spec show'),
  path: z.string(),
  specId: hex(64),
  summary: z.string(),
  spec: WatermarkSpecSchema,
  notes: z.array(z.string()),
});
export type SpecShowOutput = z.infer<typeof SpecShowOutputSchema>;

export const SpecCheckOutputSchema = z.strictObject({
  command: z.literal('spec check'),
  path: z.string(),
  ok: z.literal(true),
  specId: hex(64),
  keyFingerprint: hex(32),
  keyChecked: z.boolean(),
  notes: z.array(z.string()),
});
export type SpecCheckOutput = z.infer<typeof SpecCheckOutputSchema>;

const TestFields = {
  tokens: count,
  scored: count,
  duplicates: count,
  excluded: count,
  noContext: count,
  tooShort: z.boolean(),
  test: testName,
  score: num,
  expected: num,
  z: num,
  lnP: logP,
  log10P: logP,
  pValue: z.string(),
};

const SpanSchema = z.strictObject({
  startToken: count,
  endToken: count,
  charStart: count.optional(),
  charEnd: count.optional(),
  scored: count,
  score: num,
  lnP: logP,
  log10P: logP,
  pValue: z.string(),
});

const PayloadSummarySchema = z.strictObject({
  message: z.string(),
  messageHex: z.string(),
  matched: count,
  scored: count,
  lnP: logP,
  log10P: logP,
  pValue: z.string(),
  method: z.enum(['exact', 'union', 'bonferroni']),
});

export const DetectTextResultSchema = z.strictObject({
  source: z.string(),
  id: z.string().optional(),
  verdict: z.enum(['watermarked', 'not-detected']),
  ...TestFields,
  localization: z
    .strictObject({ windowsScanned: count, correction: z.literal('bonferroni'), lnP: logP, log10P: logP, pValue: z.string() })
    .optional(),
  spans: z.array(SpanSchema).optional(),
  payload: PayloadSummarySchema.optional(),
});
export type DetectTextResult = z.infer<typeof DetectTextResultSchema>;

export const DetectOutputSchema = z.strictObject({
  command: z.literal('detect'),
  alpha: z.number().gt(0).lte(0.5),
  specId: hex(64),
  scheme: schemeName,
  keyFingerprint: hex(32),
  texts: count,
  detected: count,
  results: z.array(DetectTextResultSchema),
});
export type DetectOutput = z.infer<typeof DetectOutputSchema>;

export const GenerateResultSchema = z.strictObject({
  id: z.string(),
  prompt: z.string(),
  text: z.string(),
  tokens: count,
  watermarkedSteps: count,
  stoppedBy: z.enum(['maxTokens', 'stop', 'eos', 'context']),
});
export type GenerateResult = z.infer<typeof GenerateResultSchema>;

export const GenerateOutputSchema = z.strictObject({
  command: z.literal('generate'),
  model: z.string(),
  watermarked: z.boolean(),
  keyFingerprint: hex(32).nullable(),
  accountId: z.string().optional(),
  sampling: z.strictObject({ maxTokens: count, temperature: z.number(), topP: z.number(), topK: count, seed: count }),
  out: z.string().optional(),
  results: z.array(GenerateResultSchema),
});
export type GenerateOutput = z.infer<typeof GenerateOutputSchema>;

export const ReportOutputSchema = z.strictObject({
  command: z.literal('report'),
  bundle: z.string(),
  files: z.array(z.string()),
  merkleRoot: hex(64),
  signerPublicKey: hex(64),
  alpha: z.number().gt(0).lte(0.5),
  suspects: z.array(
    z.strictObject({
      name: z.string(),
      responses: count,
      scored: count,
      lnP: logP,
      log10P: logP,
      pValue: z.string(),
      holmLog10P: logP,
      verdict: z.enum(['detected', 'not-detected']),
      decoys: count,
      decoyKsPValue: z.number().min(0).max(1).nullable(),
    }),
  ),
});
export type ReportOutput = z.infer<typeof ReportOutputSchema>;

export const VerifyOutputSchema = z.strictObject({
  command: z.literal('verify'),
  bundle: z.string(),
  ok: z.boolean(),
  integrity: z.strictObject({
    ok: z.boolean(),
    problems: z.array(
      z.strictObject({
        kind: z.enum(['changed', 'missing', 'extra', 'manifest', 'merkle', 'signature', 'untrusted-key']),
        path: z.string().optional(),
        message: z.string(),
      }),
    ),
  }),
  signer: z.strictObject({ publicKey: hex(64).nullable(), trusted: z.boolean().nullable() }),
  reproduction: z
    .strictObject({
      checked: z.boolean(),
      ok: z.boolean(),
      reason: z.string().optional(),
      mismatches: z.array(z.strictObject({ path: z.string(), recorded: z.string(), recomputed: z.string() })),
      suspects: z.array(
        z.strictObject({
          name: z.string(),
          scored: count.nullable(),
          lnP: logP.nullable(),
          reproducedScored: count,
          reproducedLnP: logP,
          equal: z.boolean(),
        }),
      ),
    })
    .nullable(),
});
export type VerifyOutput = z.infer<typeof VerifyOutputSchema>;

export const ProbeOutputSchema = z.strictObject({
  command: z.literal('probe'),
  transcript: z.string(),
  url: z.string(),
  model: z.string(),
  endpoint: z.enum(['chat', 'completions']),
  prompts: count,
  alreadyDone: count,
  answered: count,
  failed: z.array(z.strictObject({ promptId: z.string(), reason: z.string() })),
  remaining: count,
  interrupted: z.boolean(),
  tornLineRepaired: z.boolean(),
  requests: count,
  retries: count,
  /** Present with --until-evidence: the anytime-valid test's state when probing stopped. */
  sequential: SequentialProbeSchema.optional(),
});
export type ProbeOutput = z.infer<typeof ProbeOutputSchema>;

const DocSummarySchema = z.strictObject({
  index: count,
  source: z.string(),
  line: count,
  id: z.string().optional(),
  tokens: count,
  scored: count,
  lnP: logP,
  log10P: logP,
  novel: count,
});

export const ScanOutputSchema = z.strictObject({
  command: z.literal('scan'),
  alpha: z.number().gt(0).lte(0.5),
  specId: hex(64),
  scheme: schemeName,
  keyFingerprint: hex(32),
  files: count,
  complete: z.boolean(),
  checkpoint: z.string().nullable(),
  resumedFrom: count,
  documentsDone: count,
  documents: count,
  emptyDocuments: count,
  skippedLines: count,
  tokens: count,
  scored: count,
  tooShortDocuments: count,
  pooled: z.strictObject({
    dedup: z.enum(['global', 'global-partial', 'per-document']),
    test: testName,
    scored: count,
    score: num,
    expected: num,
    z: num,
    lnP: logP,
    log10P: logP,
    pValue: z.string(),
    payload: z.strictObject({ message: z.string(), messageHex: z.string() }).optional(),
  }),
  fisher: z.strictObject({ documents: count, statistic: num, lnP: logP, log10P: logP, pValue: z.string() }),
  verdict: z.enum(['watermarked', 'not-detected']),
  mostMarked: z.array(DocSummarySchema),
  output: z.string().optional(),
});
export type ScanOutput = z.infer<typeof ScanOutputSchema>;

export const DemoOutputSchema = z.strictObject({
  command: z.literal('demo'),
  out: z.string(),
  bundle: z.string(),
  report: z.string(),
  quick: z.boolean(),
  sizes: z.strictObject({
    accounts: count,
    harvestPrompts: count,
    harvestTokens: count,
    rho: z.number().min(0).max(1),
    probePrompts: count,
    probeTokens: count,
    decoys: count,
  }),
  keyFingerprint: hex(32),
  specId: hex(64),
  provider: z.strictObject({ accounts: count, ledgerRows: z.number().int() }),
  harvest: z.strictObject({ responses: count, tokens: count, accounts: count }),
  suspects: z.array(
    z.strictObject({
      name: z.string(),
      rho: z.number().min(0).max(1),
      trainingTokens: count,
      responses: count,
      scored: count,
      log10P: logP,
      pValue: z.string(),
      holmLog10P: logP,
      verdict: z.enum(['detected', 'not-detected']),
      decoyKsPValue: z.number().min(0).max(1).nullable(),
    }),
  ),
  verified: z.boolean(),
  seconds: z.number().nonnegative(),
});
export type DemoOutput = z.infer<typeof DemoOutputSchema>;

// ── radioactivity, plan, attribute, ledger, bench ─────────────────────────────
// Built from what the commands print today (packages/cli/test/json-schemas.test.ts runs
// each with --json and parses stdout with these, strictly). docs/OUTPUTS.md describes them.

const prob = z.number().min(0).max(1);
const alphaLevel = z.number().gt(0).lt(1);

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
  verdict: z.enum(['radioactive', 'not-detected']),
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
      verdict: z.enum(['radioactive', 'not-detected']),
    }),
  ),
  combinedLnP: logP,
  combinedLog10P: logP,
  verdict: z.enum(['radioactive', 'not-detected']),
  controlsOk: z.boolean(),
  warnings: z.array(z.string()),
});
export type RadioactivityOutputJson = z.infer<typeof RadioactivityOutputSchema>;

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

/** `ledger lookup --json` (compact, one line; no `command` field). */
export const LedgerLookupOutputSchema = z.strictObject({
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
    }),
  ),
});
export type LedgerLookupOutput = z.infer<typeof LedgerLookupOutputSchema>;

/** `ledger info --json` (compact, one line; no `command` field). */
export const LedgerInfoOutputSchema = z.strictObject({
  ledger: z.string(),
  specId: hex(64),
  keyFingerprint: hex(32),
  responses: count,
  windows: count,
  accounts: count,
  completionTokens: count,
});
export type LedgerInfoOutput = z.infer<typeof LedgerInfoOutputSchema>;

const RateAtSchema = z.strictObject({ fpr: prob, k: count, n: count, rate: prob, lo: prob, hi: prob });
const NullRateAtSchema = RateAtSchema.extend({ verdict: z.enum(['ok', 'conservative', 'anti-conservative']) });
const NullSummarySchema = z.strictObject({ cells: count, perCellAbove: count, familywiseAbove: count, perCellMiss: count, familywiseMiss: count });

/** `bench --json`: the full results (= <out>/results.json); no `command` field (`tool` names it). */
export const BenchOutputSchema = z.strictObject({
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
  schemes: z.array(z.strictObject({ id: z.string(), label: z.string(), keyFingerprint: hex(32), spec: WatermarkSpecSchema })),
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
  nullSummary: z.strictObject({ sanity: NullSummarySchema, fpr: NullSummarySchema, copyPaste: NullSummarySchema }),
  timing: z.strictObject({
    totalSeconds: z.number().nonnegative(),
    workers: count,
    phases: z.record(z.string(), z.number().nonnegative()),
    generation: z.array(z.strictObject({ scheme: z.string(), temperature: num, tokens: count, tokensPerSecond: z.number().nonnegative() })),
    detection: z.array(z.strictObject({ scheme: z.string(), tokens: count, tokensPerSecond: z.number().nonnegative() })),
  }),
});
export type BenchOutput = z.infer<typeof BenchOutputSchema>;
