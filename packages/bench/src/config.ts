/**
 * The benchmark's configuration: the two presets (QUICK for smoke tests, FULL for the
 * committed run), the limits of every setting, and `benchConfig`, which turns typed
 * options into a validated `BenchConfig`. Errors name the `tracemark bench` flag of
 * the setting (as scheme and attack parsing already do), so the CLI can pass them on.
 */
import { availableParallelism } from 'node:os';
import { usage } from '@tracemark/detector';
import { AttackError, parseAttackList, type AttackConfig } from './attacks/index.js';
import { chatUrl } from './attacks/llm.js';
import { parseSchemeList } from './schemes.js';
import type { BenchConfig } from './types.js';

export interface BenchPreset {
  /** Scheme descriptors, e.g. kgw-g0.25-d2-h1-left (see schemes.ts). */
  schemes: string[];
  lengths: number[];
  temperatures: number[];
  samples: number;
  nullSamples: number;
  /** Attack descriptors name[:param], or ['default'] / ['none']. */
  attacks: string[];
  attackLength: number;
  copyPasteTokens: number;
  workers: number;
}

export const QUICK: BenchPreset = {
  schemes: ['kgw-g0.25-d2-h1-left', 'gumbel-h1-left'],
  lengths: [25, 50, 100],
  temperatures: [1],
  samples: 12,
  nullSamples: 120,
  attacks: ['none', 'typo:0.1', 'delete:0.3', 'synonym:0.5', 'copy-paste:1x0.1', 'homoglyph:0.25', 'zero-width:0.25'],
  attackLength: 100,
  copyPasteTokens: 400,
  workers: 0,
};

export const FULL: BenchPreset = {
  schemes: ['kgw-g0.25-d2-h1-left', 'kgw-g0.25-d1-h1-left', 'kgw-g0.5-d2-h1-left', 'kgw-g0.25-d2-h4-min', 'kgw-g0.25-d2-h4-self', 'gumbel-h1-left', 'gumbel-h4-left', 'synthid-m30-h1-left', 'unigram-g0.25-d2'],
  lengths: [25, 50, 100, 200, 400],
  temperatures: [0.7, 1],
  samples: 200,
  nullSamples: 2000,
  attacks: ['default'],
  attackLength: 200,
  copyPasteTokens: 800,
  workers: Math.min(2, availableParallelism()),
};

/**
 * Engine schemes against tracemark's own (`--preset engines`, docs/BENCH-ENGINES.md): the
 * engines' watermarks embedded by their samplers on the same model, prompts and seeds,
 * detection power and the human-text FPR at the same lengths; no attacks.
 */
export const ENGINES: BenchPreset = {
  schemes: ['kgw-g0.25-d2-h1-left', 'gumbel-h1-left', 'synthid-m30-h1-left', 'vllm/gumbel', 'vllm/red_green', 'vllm/synthid', 'sglang/gumbel', 'hf/kgw', 'hf/synthid'],
  lengths: [25, 50, 100, 200],
  temperatures: [0.7, 1],
  samples: 100,
  nullSamples: 1000,
  attacks: ['none'],
  attackLength: 200,
  copyPasteTokens: 800,
  workers: Math.min(2, availableParallelism()),
};

export const PRESETS = { full: FULL, quick: QUICK, engines: ENGINES } as const;
export type PresetName = keyof typeof PRESETS;

export const DEFAULT_FPRS: readonly number[] = [1e-2, 1e-3, 1e-5];

/** A rule for each element of a list setting; `describe` completes "is not …" in errors. */
export interface ListRule {
  flag: string;
  ok: (n: number) => boolean;
  describe: string;
}

/** The limits of every numeric setting, by option name (flag names are those of `tracemark bench`). */
export const BENCH_LIMITS = {
  lengths: { flag: 'lengths', ok: (n: number) => Number.isInteger(n) && n >= 1 && n <= 4096, describe: 'integers in [1, 4096]' },
  temperatures: { flag: 'temperatures', ok: (n: number) => n > 0 && n <= 5, describe: 'temperatures in (0, 5]' },
  fprs: { flag: 'fpr', ok: (n: number) => n > 0 && n < 1, describe: 'rates in (0, 1)' },
  seed: { flag: 'seed', min: 0, max: 2 ** 31 - 1 },
  samples: { flag: 'samples', min: 1, max: 100_000 },
  nullSamples: { flag: 'null-samples', min: 1, max: 1_000_000 },
  attackLength: { flag: 'attack-length', min: 8, max: 4096 },
  copyPasteTokens: { flag: 'copy-paste-tokens', min: 64, max: 100_000 },
  workers: { flag: 'workers', min: 0, max: 64 },
} as const;

type IntSetting = 'seed' | 'samples' | 'nullSamples' | 'attackLength' | 'copyPasteTokens' | 'workers';

export interface BenchOptions {
  /** Start from QUICK instead of FULL. */
  quick?: boolean;
  /** Start from this preset (overrides `quick`): full, quick or engines. */
  preset?: PresetName;
  /** Default 1. */
  seed?: number;
  schemes?: string[];
  lengths?: number[];
  temperatures?: number[];
  samples?: number;
  nullSamples?: number;
  /** Default 1e-2, 1e-3, 1e-5. */
  fprs?: number[];
  /** Attack descriptors name[:param]; 'default' expands to the default set; ['none'] = no attack rows. */
  attacks?: string[];
  attackLength?: number;
  /** One of the temperatures (default 1 when listed, else the highest). */
  attackTemperature?: number;
  copyPasteTokens?: number;
  /** OpenAI-compatible endpoint for the paraphrase and translate attacks. */
  paraphrase?: { url: string; model: string };
  workers?: number;
}

/** Deduplicated list, every element checked against its rule. */
function checkedList(rule: ListRule, values: readonly number[]): number[] {
  if (values.length === 0) throw usage(`--${rule.flag} must be a comma-separated list of ${rule.describe}`);
  for (const n of values) if (!Number.isFinite(n) || !rule.ok(n)) throw usage(`--${rule.flag}: ${JSON.stringify(String(n))} is not ${rule.describe}`);
  return [...new Set(values)];
}

function checkedInt(name: IntSetting, v: number): number {
  const { flag, min, max } = BENCH_LIMITS[name];
  if (!Number.isSafeInteger(v) || v < min || v > max) throw usage(`--${flag} must be an integer in [${min}, ${max}] (got ${JSON.stringify(String(v))})`);
  return v;
}

/** Typed options (preset values where absent) → a validated benchmark configuration. */
export function benchConfig(o: BenchOptions = {}): BenchConfig {
  const d = o.preset !== undefined ? PRESETS[o.preset] : o.quick ? QUICK : FULL;
  const lengths = checkedList(BENCH_LIMITS.lengths, o.lengths ?? d.lengths).sort((a, b) => a - b);
  const temperatures = checkedList(BENCH_LIMITS.temperatures, o.temperatures ?? d.temperatures);
  const fprs = checkedList(BENCH_LIMITS.fprs, o.fprs ?? DEFAULT_FPRS).sort((a, b) => b - a);
  const attackTemperature = o.attackTemperature ?? (temperatures.includes(1) ? 1 : temperatures[temperatures.length - 1]!);
  if (!temperatures.includes(attackTemperature)) {
    throw usage(`--attack-temperature must be one of --temperatures (${temperatures.join(', ')}) (got ${JSON.stringify(String(attackTemperature))})`);
  }
  const paraphrase = o.paraphrase;
  if (paraphrase) {
    try {
      chatUrl(paraphrase.url);
    } catch (e) {
      throw usage((e as Error).message);
    }
  }
  let attacks: AttackConfig[];
  const attackList = (o.attacks ?? d.attacks).join(',');
  try {
    const extra: AttackConfig[] = paraphrase ? [{ name: 'paraphrase' }, { name: 'translate' }] : [];
    attacks = attackList.trim() === 'none' ? [] : parseAttackList(attackList, extra);
  } catch (e) {
    if (e instanceof AttackError) throw usage(`--attacks: ${e.message}`);
    throw e;
  }
  if (!paraphrase && attacks.some((a) => a.name === 'paraphrase' || a.name === 'translate')) {
    throw usage('the paraphrase and translate attacks need --paraphrase-url and --paraphrase-model');
  }
  const samples = checkedInt('samples', o.samples ?? d.samples);
  return {
    seed: checkedInt('seed', o.seed ?? 1),
    schemes: parseSchemeList((o.schemes ?? d.schemes).join(',')),
    lengths,
    temperatures,
    samples,
    nullSamples: checkedInt('nullSamples', o.nullSamples ?? d.nullSamples),
    fprs,
    attacks,
    attackLength: checkedInt('attackLength', o.attackLength ?? d.attackLength),
    attackTemperature,
    copyPasteTokens: checkedInt('copyPasteTokens', o.copyPasteTokens ?? d.copyPasteTokens),
    ...(paraphrase ? { paraphrase: { url: paraphrase.url, model: paraphrase.model } } : {}),
    workers: checkedInt('workers', o.workers ?? d.workers),
    quick: o.preset !== undefined ? o.preset === 'quick' : o.quick === true,
  };
}
