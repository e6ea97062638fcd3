/** `--json` outputs of `spec import`, `spec init --engine` and `spec show` on an engine spec (spec version 2). */
import { ENGINE_SCHEMES, EngineSpecSchema } from '@tracemark/watermark';
import { z } from 'zod';
import { hex } from './common.js';

export const SpecEngineOutputSchema = z.strictObject({
  command: z.enum(['spec import', 'spec init']),
  /** Where the spec was written. */
  path: z.string(),
  /** Where the key file was written (mode 0600). The key itself is never printed. */
  keyPath: z.string(),
  specId: hex(64),
  keyFingerprint: hex(32),
  scheme: z.enum(ENGINE_SCHEMES),
  /** `spec import`: the engine whose config was read; `spec init --engine`: null (fresh key). */
  importedFrom: z.enum(['vllm', 'sglang', 'hf', 'hf-synthid', 'synthid-text', 'lm-watermarking']).nullable(),
  spec: EngineSpecSchema,
  notes: z.array(z.string()),
});
export type SpecEngineOutput = z.infer<typeof SpecEngineOutputSchema>;

export const SpecShowEngineOutputSchema = z.strictObject({
  command: z.literal('spec show'),
  path: z.string(),
  specId: hex(64),
  summary: z.string(),
  spec: EngineSpecSchema,
  notes: z.array(z.string()),
});
export type SpecShowEngineOutput = z.infer<typeof SpecShowEngineOutputSchema>;
