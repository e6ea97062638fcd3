/**
 * The fixed setup every stage of the neural-student experiment shares: the provider's key and
 * spec (those of open-model-sweep.ts: KGW γ = 0.25 δ = 2, h = 1 left), the decoy keys, the
 * student cells, sizes, and where the work files live. Keys derive from fixed public bytes so
 * the run is reproducible; they protect nothing.
 */
import { fileURLToPath } from 'node:url';
import { parseSpec, WatermarkKey } from '@tracemark/watermark';

export const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff));
export const SPEC = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint });
export const SPEC_LABEL = 'KGW γ = 0.25 δ = 2, h = 1 left (o200k_base)';
export const DECOYS = Array.from({ length: 8 }, (_, i) => new WatermarkKey(Uint8Array.from({ length: 32 }, (_, j) => (j * 13 + i * 29 + 3) & 0xff)));

export const SIZES = {
  /** Training tokens of every student (prompt + answer tokens for harvested documents). */
  trainingTokens: 300_000,
  /** Harvest prompts: the first of one promptSet draw; probe and fresh prompts come after them, so the sets are disjoint. */
  harvestPrompts: 3200,
  probePrompts: 1000,
  freshPrompts: 60,
  promptSeed: 21,
  answerTokens: 120,
  harvestSeed: 9,
  /** Held-out human text for perplexity (tokens, heldout split). */
  heldoutHumanTokens: 30_000,
  /** Supervised open-model texts: at most this many of a student's served answers (seeded sample). */
  supervisedTexts: 300,
} as const;

export interface Cell {
  /** Directory name of the student. */
  name: string;
  rho: number;
  seed: number;
  /** 'watermarked': harvested from our watermarked serving; 'unwatermarked': the control, the same teacher without a key. */
  teacher: 'watermarked' | 'unwatermarked';
}

const cell = (rho: number, seed: number, teacher: Cell['teacher'] = 'watermarked'): Cell => ({
  name: `${teacher === 'watermarked' ? 'rho' : 'control-rho'}${rho}-seed${seed}`,
  rho,
  seed,
  teacher,
});

/** Every ρ and the unwatermarked-teacher control in seeds 1 and 2; in training order (the cells that can be detected first). */
export const CELLS: Cell[] = [1, 2].flatMap((seed) => [cell(1, seed), cell(1, seed, 'unwatermarked'), cell(0.1, seed), cell(0.05, seed), cell(0.01, seed), cell(0, seed)]);

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const EXP = `${ROOT}experiments/neural-students/`;
/** Generated data, tokenizer and students (not committed: megabytes, reproducible). */
export const WORK = `${EXP}work/`;
