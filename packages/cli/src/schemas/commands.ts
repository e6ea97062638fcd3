/** `--json` outputs of keygen, spec, detect, generate, report, verify, probe, scan and demo. */
import { WatermarkSpecSchema } from '@tracemark/watermark';
import { SequentialProbeSchema } from '@tracemark/investigate';
import { NormalizationSchema } from '@tracemark/detector';
import { z } from 'zod';
import { count, EngineStatisticSchema, hex, logP, num, schemeName, testName } from './common.js';

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
  verdict: z.enum(['detected', 'not-detected']),
  ...TestFields,
  localization: z
    .strictObject({ windowsScanned: count, correction: z.literal('bonferroni'), lnP: logP, log10P: logP, pValue: z.string() })
    .optional(),
  spans: z.array(SpanSchema).optional(),
  payload: PayloadSummarySchema.optional(),
  engine: EngineStatisticSchema.optional(),
  normalization: NormalizationSchema.optional(),
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
  verdict: z.enum(['detected', 'not-detected']),
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
      lnP: logP,
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
