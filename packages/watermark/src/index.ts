export { siphash24, siphash24Bytes, sipKeyFromBytes, sipSeedToken, sipTokens, sipU32 } from './siphash.js';
export type { SipKey, U64 } from './siphash.js';
export { fromHex, toHex, u64Hex, utf8 } from './bytes.js';
export {
  WatermarkKey,
  generateKey,
  keyFingerprint,
  assertKeyMatches,
  deriveSubkeyBytes,
  exportKeyFile,
  parseKeyFile,
  KeyFileSchema,
  KEY_BYTES,
  SUBKEY_PURPOSES,
} from './keys.js';
export type { KeyFile, KeyMatchOptions, SubkeyPurpose } from './keys.js';
export {
  WatermarkSpecSchema,
  SchemeSchema,
  ContextSchema,
  PayloadSchema,
  TokenizerIdSchema,
  TIKTOKEN_ENCODINGS,
  SPEC_VERSION,
  SpecError,
  parseSpec,
  parseSpecJson,
  canonicalJson,
  canonicalSpecJson,
} from './spec.js';
export type { WatermarkSpec, WatermarkSpecInput, Scheme, ContextMode } from './spec.js';
export { WindowHasher } from './window.js';
export type { Seed } from './window.js';
export { tokenPrf, unit53, unit53Of, gammaThreshold, gCount, gMaskLo, gMaskHi, gBit, payloadColourOf, popcount32 } from './prf.js';
export { Watermark, messageDigits, digitsToMessage, nullModelOf } from './watermark.js';
export type { NullModel } from './watermark.js';
export { fmix32 } from './fmix32.js';
export { seededRng } from './sampling/rng.js';
export type { Rng, SamplingOptions, SparseDistribution, StepResult } from './sampling/types.js';
export * from './sampling/index.js';
export * as engines from './engines/index.js';
export * from './engine-spec.js';
export * from './engine-keys.js';
export { createEngineReader } from './engines/reader/index.js';
export type { EngineReader, EngineRead, EngineStatistic, EngineReaderOptions } from './engines/reader/index.js';
export { buildSpec, describeSpec, specNotes, schemeOptionsProblem, contextModeOf, SPEC_LIMITS, SPEC_SCHEME_NAMES } from './spec-build.js';
export type { SpecOptions } from './spec-build.js';
export { engineEmbedConfig, createSpecSampler } from './engine-embed.js';
export * from './kernel/index.js';
