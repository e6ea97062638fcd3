/**
 * @tracemark/investigate: what an investigation needs besides the statistics (which live
 * in @tracemark/detector): the probe client and its transcripts, the inputs of the
 * radioactivity test (ledger filters, account families, evidence), and the sequential probe.
 */
export { postWithRetry, RateLimiter } from './probe/client.js';
export type { RetryPolicy } from './probe/client.js';
export { builtinPrompts, promptsFromFile } from './probe/prompts.js';
export { endpointUrl, resumeSettingMismatch, runProbe } from './probe/run.js';
export type { ProbePrompt, ProbeSummary } from './probe/run.js';
export { readTranscriptBytes, TranscriptLineSchema, evidenceRecords } from './probe/transcript.js';
export type { TranscriptLine, EvidenceRecord } from './probe/transcript.js';
export { EvidenceWatch, SequentialProbeSchema } from './until-evidence.js';
export type { SequentialProbe } from './until-evidence.js';
export {
  ledgerAccounts,
  storeAccounts,
  listFlag,
  loadEvidence,
  specTokenizer,
  loadSpecFilter,
  unionFilter,
  loadFamilyMap,
  unsupervisedFilter,
} from './inputs.js';
export * from './grid/index.js';
export { controlOverlapWarning, controlPromptOverlap, investigateRadioactivity, RADIOACTIVITY_VARIANTS } from './radioactivity.js';
export type { LogprobVariantResult, PromptOverlap, RadioactivityOptions, RadioactivityReport, RadioactivityVariant, VariantResult } from './radioactivity.js';
export { engineNullModel, planAssumed, planFromPilot, planNullModel } from './plan.js';
export type { InvestigationPlan, PilotOptions, PlanEffect, PlanOptions } from './plan.js';
export { attributeCloneAccounts, attributeLeakedTexts, ledgerCandidates } from './attribute.js';
export type { CloneOptions, LeakCandidate, LeakOptions } from './attribute.js';
export { probeWithEvidence } from './probe-with-evidence.js';
export type { ProbeReport } from './probe-with-evidence.js';
export type { UntilEvidenceOptions } from './until-evidence.js';
export { investigateOpenModel, loadSuspectModel } from './open-model/investigate.js';
export type { OpenModelInvestigationOptions, OpenModelReport, OpenModelVariant, OpenModelVariantResult } from './open-model/investigate.js';
export { teacherForce, topListing } from './open-model/teacher-force.js';
export { ledgerTexts } from './open-model/ledger-texts.js';
export type { LedgerTexts } from './open-model/ledger-texts.js';
export type { ForcedText, TeacherForceOptions, TeacherForceResult } from './open-model/teacher-force.js';
export { logprobTest, logprobItem, tokenIdResolver } from './logprob-test.js';
export type { LogprobReport, LogprobItemStats } from './logprob-test.js';
export { choiceLogprobs, logprobsFields, bytesFromTokenText } from './probe/logprobs.js';
export type { TokenLogprobs } from './probe/transcript.js';
