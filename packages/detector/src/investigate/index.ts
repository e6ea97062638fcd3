/**
 * Investigator statistics (pure, no I/O): the closed-model radioactivity test with
 * filters, families and negative controls; anytime-valid sequential testing; the query
 * planner; attribution of leaked texts and clones to accounts. See docs/RADIOACTIVITY.md.
 */
export { WindowHashSet, WindowOwners, forEachGeneratedWindow, windowSetOf, windowHashesOf, windowMask, SHARED_WINDOW, NO_OWNER, type WindowSource } from './windows.js';
export type { WindowSet, GeneratedSequence } from './windows.js';
export { BernoulliMixture, GammaMixture, schemeEProcess, bernoulliMixtureLnE, gammaMixtureLnE, sequentialDecision } from './eprocess.js';
export type { EProcess, SequentialDecision } from './eprocess.js';
export { PooledPass } from './pool.js';
export type { PoolTest, AddStats, NovelSink, PooledPassOptions } from './pool.js';
export { familyOf, familyIndex } from './families.js';
export { RadioactivityRun, radioactivityTest, decoySummary, controlWarnings } from './radioactivity.js';
export type { EvidenceItem, RadioactivityOptions, RadioactivitySummary, RadioactivityResult, DecoySummary, Accounting } from './radioactivity.js';
export { SequentialMonitor } from './sequential.js';
export type { SequentialOptions, SequentialState, StopReason } from './sequential.js';
export { planTest, estimateFromPilot, gammaCriticalValue } from './plan.js';
export type { PlanInput, Plan, PilotStats, PilotEstimate } from './plan.js';
export { attributeLeaks, attributeClone, digitTailsLog, idLnP, precisionRecall } from './attribution.js';
export type { Candidate, LeakText, LeakTextResult, LeakAttribution, AccountWindows, CloneAccountResult, CloneAttribution, CloneAttributionOptions } from './attribution.js';
export { OpenModelRun, OpenModelPass, uniqueArgmax, assertOpenModelSpec } from './open-model.js';
export { BoundedMeanEProcess, BET_FRACTIONS } from './betting.js';
export type { NextTokenListing, OpenModelTest, OpenModelSummary, OpenModelOptions } from './open-model.js';
export { LogprobRun, assertLogprobSpec, combineLogprobSampled, listingFromLogprobs } from './logprob.js';
export type { LogprobItem, LogprobAccounting, LogprobTest, LogprobSummary, LogprobOptions } from './logprob.js';
