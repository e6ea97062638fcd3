/**
 * @tracemark/detector — tokenization, exact watermark tests, localisation,
 * payload decoding and corpus scans. Never imports a language model.
 */
export { Detector, toText, marksToJson, hasPayload, schemeNameOf } from './detect.js';
export type { DetectorOptions, DetectOptions, DetectionResult, TextInput, TokenMarks, TokenMark, SchemeName, NormalizeMode, Normalization } from './detect.js';
export { EngineScorer } from './engine-scorer.js';
export type { EngineScoreOptions } from './engine-scorer.js';
export { payloadWatermark } from './scoring-model.js';
export type { ScoringModel } from './scoring-model.js';
export { DetectorError, isDetectorError } from './errors.js';
export { normalizeText, normalizeWithOffsets, CONFUSABLES, type NormalizedText } from './normalize.js';
export type { DetectorErrorCode } from './errors.js';
export {
  Tokenizer,
  liveEncoders,
  pinnedEncoder,
  isTiktokenEncoding,
  resolveTokenizerOptions,
  SPECIAL_TOKENS,
  DEFAULT_MAX_RUN_CHARS,
  DEFAULT_MAX_TEXT_CHARS,
} from './tokenizer.js';
export type { Encoded, EncodingName, TokenizerOptions } from './tokenizer.js';
export { createTokenizer, HfTokenizer, hfTokenizerAvailable, hfTokenizerDir, isHfTokenizerId, TIKTOKEN_VOCAB_SIZE, vocabSizeOf } from './tokenizers/index.js';
export type { TextTokenizer, DecodeOptions as TokenizerDecodeOptions } from './tokenizers/index.js';
export { byteLevelBytes, byteLevelString } from './tokenizers/byte-level.js';
export {
  Scorer,
  ExclusionSet,
  FLAG_SCORED,
  FLAG_DUPLICATE,
  FLAG_EXCLUDED,
  FLAG_NO_CONTEXT,
  FLAG_SPECIAL,
  FLAG_NAMES,
} from './scorer.js';
export type { Engine, ScoreOptions, ScoredTokens, TupleList, TokenFlag } from './scorer.js';
export { schemeTest } from './pvalue.js';
export type { SchemeTest, TestName } from './pvalue.js';
export { localizeScores, DEFAULT_WINDOW_SIZES } from './localize.js';
export type { LocalizeOptions, LocalizationResult, WindowResult } from './localize.js';
export { decodePayload, testIds, countPayload } from './payload.js';
export type { PayloadResult, PayloadMethod, DigitEstimate, IdTest, PayloadCounts } from './payload.js';
export { maxMultinomialLogPmf, maxUnionLogPmf, sumUpperTailLog } from './maxmult.js';
export { TupleSet } from './tupleset.js';
export * from './stats/index.js';
export { scanCorpus, DEFAULT_DEDUP_BYTES } from './corpus/scan.js';
export * from './corpus/external/index.js';
export type { ScanOptions, ScanSummary, DocumentResult } from './corpus/scan.js';
export { CheckpointSchema, CHECKPOINT_VERSION } from './corpus/checkpoint.js';
export type { Checkpoint } from './corpus/checkpoint.js';
export { DocSummarySchema, ScanTotalsSchema } from './corpus/tally.js';
export type { DocSummary, ScanTotals } from './corpus/tally.js';
export * from './pool/index.js';
export { readDocuments, formatOf, parseIdsRecord, DEFAULT_MAX_DOC_BYTES } from './corpus/readers.js';
export { corpusFiles } from './corpus/files.js';
export type { CorpusFormat, TextMode, ReaderOptions, RawDocument, ReaderStats, IdsFields, IdsRecord } from './corpus/readers.js';
export { AtomicWriter } from './atomic.js';
export { startWorker } from './spawn.js';
export { nullTests, summarizeNull, calibrationKey } from './calibration.js';
export type { CalibrationSpec, NullTestOptions, NullTests, FprRow, CalibrationSummary } from './calibration.js';
export {
  DetectionResultSchema,
  PayloadResultSchema,
  NormalizationSchema,
  DigitEstimateSchema,
  LocalizationResultSchema,
  WindowResultSchema,
  IdTestSchema,
  DocumentResultSchema,
  NovelResultSchema,
  PooledResultSchema,
  FisherResultSchema,
  ScanSummarySchema,
} from './schemas.js';
export * from './investigate/index.js';
export { testFromCounts, poolTestOf } from './counts-test.js';
export type { CountsTest } from './counts-test.js';
export * from './io/index.js';
export { detectTexts, textTest, textVerdict, emptyTextTest } from './detect-texts.js';
export type { DetectTextsOptions, DetectTextsResult, TextItem, TextTest, TextVerdict, TextSpan, TextPayload } from './detect-texts.js';
