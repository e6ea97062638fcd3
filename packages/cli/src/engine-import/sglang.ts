/**
 * SGLang's watermark settings → sglang/gumbel and an SGLang key (hex words).
 *
 * Two shapes are read (never mixed): the server arguments as JSON — watermark_key,
 * watermark_key_b, watermark_mixing_probability, watermark_context_window (flag
 * spellings such as "--watermark-key" too) — or SGLang's watermark config file (PR
 * #37577 config.py: key, key_b, context_window, mixing_probability, max_probability,
 * default_enabled, enforce_all). Keys are 1..16 hex digits; context window 1..64
 * (default 4); the mixing probability defaults to 0.5.
 */
import { EngineKey } from '@tracemark/watermark';
import { z } from 'zod';
import { boolMsg, hexOf, ImportError, numberMsg, parseConfig, type Imported } from './common.js';

const window = z.number(numberMsg).int('must be an integer').min(1, 'must be 1..64').max(64, 'must be 1..64');
const prob = z.number(numberMsg);

export const SglangServerArgsSchema = z.strictObject({
  watermark_key: z.unknown().optional(),
  watermark_key_b: z.unknown().optional(),
  watermark_mixing_probability: prob.nullable().optional(),
  watermark_context_window: window.nullable().optional(),
  watermark_max_probability: prob.nullable().optional(),
  watermark_default_enabled: z.boolean(boolMsg).nullable().optional(),
  watermark_enforce_all: z.boolean(boolMsg).nullable().optional(),
  watermark_config: z.string({ error: 'must be a string' }).nullable().optional(),
});
export const SglangConfigFileSchema = z.strictObject({
  key: z.unknown().optional(),
  key_b: z.unknown().optional(),
  context_window: window.nullable().optional(),
  mixing_probability: prob.nullable().optional(),
  max_probability: prob.nullable().optional(),
  default_enabled: z.boolean(boolMsg).nullable().optional(),
  enforce_all: z.boolean(boolMsg).nullable().optional(),
});

/** "--watermark-key" / "watermark-key" → "watermark_key". */
function normalise(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k.replace(/^--/, '').replace(/-/g, '_'), v]));
}

export function importSglang(input: unknown): Imported {
  const raw = normalise(input) as Record<string, unknown>;
  const server = typeof raw === 'object' && raw !== null && Object.keys(raw).some((k) => k.startsWith('watermark_'));
  let key: unknown, keyB: unknown, mixing: number | null | undefined, width: number | null | undefined;
  const f = server
    ? { key: 'watermark_key', keyB: 'watermark_key_b', mixing: 'watermark_mixing_probability', width: 'watermark_context_window' }
    : { key: 'key', keyB: 'key_b', mixing: 'mixing_probability', width: 'context_window' };
  if (server) {
    const c = parseConfig(SglangServerArgsSchema, raw, 'SGLang server argument', { key: 'server arguments and config-file fields cannot be mixed' });
    if (c.watermark_config != null) throw new ImportError('watermark_config', 'import the config file it names instead (its fields: key, key_b, context_window, mixing_probability)');
    ({ watermark_key: key, watermark_key_b: keyB, watermark_mixing_probability: mixing, watermark_context_window: width } = c);
  } else {
    const c = parseConfig(SglangConfigFileSchema, raw, 'SGLang watermark config', { hashing_key: 'that is an HF field (--engine hf)', algorithm: 'that is a vLLM field (--engine vllm)' });
    ({ key, key_b: keyB, mixing_probability: mixing, context_window: width } = c);
  }
  if (key === undefined || key === null) throw new ImportError(f.key, 'missing (the secret key, 1..16 hex digits)');
  const a = hexOf(f.key, key);
  const dual = keyB !== undefined && keyB !== null;
  const b = dual ? hexOf(f.keyB, keyB) : undefined;
  const notes: string[] = [];
  if (!dual && mixing != null) notes.push(`${f.mixing} is read only with a second key (${f.keyB}); ignored`);
  return {
    engine: {
      scheme: 'sglang/gumbel',
      contextWidth: width ?? 4,
      dualKey: dual,
      ...(dual ? { mixingProbability: mixing ?? 0.5 } : {}),
    },
    key: new EngineKey('sglang', 'hex', b === undefined ? [a] : [a, b]),
    fieldOf: { key: f.key, keyB: f.keyB, mixingProbability: f.mixing, contextWidth: f.width, dualKey: f.keyB },
    notes,
  };
}
