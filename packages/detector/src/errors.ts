/**
 * One error class for everything the detector refuses, with a stable `code` so
 * callers (the CLI, services) can branch without parsing messages. Messages are
 * one line and never contain key material.
 */

export type DetectorErrorCode =
  | 'EMPTY_TEXT' // nothing to score
  | 'TEXT_TOO_LARGE' // a document above the per-document size cap
  | 'INVALID_UTF8' // bytes that are not UTF-8 (files, Buffers)
  | 'MALFORMED_JSONL' // a JSONL line that is not a JSON object with the text field
  | 'WRONG_KEY' // key fingerprint ≠ spec keyFingerprint
  | 'SPEC_MISMATCH' // spec/option combination the detector cannot honour (e.g. text input with an hf: tokenizer)
  | 'NO_PAYLOAD' // payload decoding asked of a spec without a payload
  | 'BAD_TOKENS' // token ids that are not integers in [0, 2^32)
  | 'BAD_OPTION' // an option outside its documented range
  | 'IO_ERROR' // reading or writing a file failed
  | 'WORKER_FAILED'; // a scan worker died

export class DetectorError extends Error {
  override name = 'DetectorError';
  constructor(
    readonly code: DetectorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isDetectorError(e: unknown): e is DetectorError {
  return e instanceof DetectorError;
}
