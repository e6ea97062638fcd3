/**
 * Shared pieces of the engine-config importers: the error that names a config field,
 * integer keys from JSON (numbers above 2^53 are refused: JSON.parse already rounded
 * them), and zod issues as one line. No message ever contains a key value.
 */
import type { EngineKey, EngineSpecInput } from '@tracemark/watermark';
import type { z } from 'zod';

/** A bad engine config: `field` is the engine's own name for the setting. */
export class ImportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ImportError';
  }
}

export type EngineBlock = EngineSpecInput['engine'];

/** What an importer returns: the spec's engine block, the key, and where each spec field came from. */
export interface Imported {
  engine: EngineBlock;
  key: EngineKey;
  /** spec engine field (or "key", "keyB", "keys") → the config field it was read from. */
  fieldOf: Record<string, string>;
  notes: string[];
}

/** Extra inputs some engines need from outside their config. */
export interface ImportContext {
  vocabSize?: number;
  /** From a model directory's config.json (HF): vocab_size, bos/eos token ids. */
  model?: { vocabSize?: number; bosTokenId?: number; eosTokenId?: number; path: string };
}

/**
 * An integer setting (a key) written as a JSON number or a decimal string. A JSON number
 * above 2^53 − 1 has already lost digits in any JSON parser, so it is refused.
 */
export function integerOf(field: string, v: unknown): bigint {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) throw new ImportError(field, 'must be an integer');
    if (!Number.isSafeInteger(v)) throw new ImportError(field, 'a JSON number above 2^53 is not exact; write it as a quoted decimal string');
    return BigInt(v);
  }
  if (typeof v === 'string' && /^\s*-?\d{1,80}\s*$/.test(v)) return BigInt(v.trim());
  throw new ImportError(field, 'must be an integer (a JSON number or a quoted decimal string)');
}

export const HEX_WORD = /^(?:0x)?[0-9a-fA-F]{1,16}$/i;

export function hexOf(field: string, v: unknown): bigint {
  if (typeof v !== 'string' || !HEX_WORD.test(v)) throw new ImportError(field, 'must be a hex string of 1..16 digits (optional 0x)');
  return BigInt('0x' + v.replace(/^0x/i, ''));
}

/**
 * Parse `input` with a strict zod schema; the first issue becomes an ImportError naming
 * the field. `hints` explains unknown fields that are another engine's (or another
 * version's) name for a setting.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, engine: string, hints: Record<string, string> = {}): z.output<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ImportError('(root)', `a ${engine} config must be a JSON object`);
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const k = issue.keys[0]!;
    const prefix = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    throw new ImportError(prefix + k, `unknown field (not a ${engine} setting${hints[k] ? `; ${hints[k]}` : ''})`);
  }
  throw new ImportError(issue.path.join('.') || '(root)', issue.message);
}

/** A zod number with one message for a wrong type. */
export const numberMsg = { error: 'must be a number' } as const;
export const intMsg = { error: 'must be an integer' } as const;
export const boolMsg = { error: 'must be true or false' } as const;
