/**
 * @tracemark/evidence: evidence bundles (per-file SHA-256 manifest, RFC 6962 Merkle root,
 * Ed25519 signature, verification) and the reports read from them (HTML, Markdown, JSON).
 */
export * from './bundle/index.js';
export { scoreEvidence, decoyKey, newDecoySeed, SCORES_VERSION } from './report/evidence.js';
export type { Scores, SuspectScores, EvidenceOptions, SuspectInput, PooledTest, ResponseScore, DecoyResult, HeatmapEntry } from './report/evidence.js';
export { buildBundle, reproduceBundle, NAME_RE } from './report/bundle.js';
export type { ScanAttachment, TranscriptSource } from './report/bundle.js';
export { renderHtml } from './report/html.js';
export { renderMarkdown } from './report/markdown.js';
export { esc, ticks } from './report/svg.js';
export { sci } from './report/words.js';
export { createReport, readScanAttachment, scanSummary } from './report/create.js';
export type { CreateReportOptions, CreatedReport, NamedFile, ReportSuspectLine } from './report/create.js';
export { verifyReport } from './report/verify.js';
export type { ReportVerification, VerifyReportOptions } from './report/verify.js';
export { decoyKeys } from './report/decoys.js';
