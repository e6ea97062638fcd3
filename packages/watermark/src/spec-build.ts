/**
 * Writing a spec from a few choices (what `tracemark spec init` asks for), and
 * describing one for people: a one-line summary and advice about settings that are
 * valid but weak for proving distillation (docs/RADIOACTIVITY.md). Browser-safe: no Node APIs.
 *
 * Messages name the options as the CLI spells its flags (--gamma, --payload-bits),
 * so a command can pass them on unchanged.
 */
import { parseSpec, SpecError, type ContextMode, type WatermarkSpec, type WatermarkSpecInput } from './spec.js';

export const SPEC_SCHEME_NAMES = ['kgw', 'gumbel', 'synthid', 'unigram'] as const;

/**
 * The accepted ranges of the numeric choices, with the wording of their errors (the
 * same bounds as the spec schema; kept here so a parser can check a flag by its name
 * before anything else happens). `default` is what buildSpec uses when one is left out.
 */
export const SPEC_LIMITS = {
  gamma: { flag: 'gamma', ok: (n: number) => n > 0 && n < 1, describe: 'a number in (0, 1)', default: 0.25 },
  delta: { flag: 'delta', ok: (n: number) => n > 0 && n <= 20, describe: 'a number in (0, 20]', default: 2 },
  layers: { flag: 'layers', min: 1, max: 64, default: 30 },
  width: { flag: 'width', min: 1, max: 8, default: 1 },
  payloadBits: { flag: 'payload-bits', min: 16, max: 64 },
  digitBits: { flag: 'digit-bits', min: 1, max: 4, default: 2 },
} as const;

export interface SpecOptions {
  /** kgw | gumbel | synthid | unigram. */
  scheme: string;
  /** Green-list fraction (kgw, unigram; default 0.25). */
  gamma?: number;
  /** Green-token logit bias (kgw, unigram; default 2). */
  delta?: number;
  /** Tournament layers (synthid; default 30). */
  layers?: number;
  /** Context width h (default 1). */
  width?: number;
  /** Context hashing: left | min | self (default left). */
  mode?: string;
  /** Carry an id of this many bits in every response (kgw only). */
  payloadBits?: number;
  /** Payload bits per digit (default 2; only with payloadBits). */
  digitBits?: number;
  /** tiktoken encoding or hf:<model> (default o200k_base). */
  tokenizer?: string;
  /** A human-readable name. */
  id?: string;
}

type SchemeOnlyOption = 'gamma' | 'delta' | 'layers' | 'payloadBits';

/**
 * Why these options do not fit the scheme (an unknown scheme, or an option another
 * scheme takes), or undefined. Only whether each option is given matters, so a parser
 * can ask before it parses the values.
 */
export function schemeOptionsProblem(scheme: string, given: Partial<Record<SchemeOnlyOption, unknown>>): string | undefined {
  if (!(SPEC_SCHEME_NAMES as readonly string[]).includes(scheme)) {
    return `--scheme must be one of ${SPEC_SCHEME_NAMES.join(', ')} (got ${JSON.stringify(scheme)})`;
  }
  const biased = scheme === 'kgw' || scheme === 'unigram';
  if (!biased && (given.gamma !== undefined || given.delta !== undefined)) return `--gamma and --delta apply to kgw and unigram, not ${scheme}`;
  if (scheme !== 'synthid' && given.layers !== undefined) return '--layers applies to the synthid scheme only';
  if (scheme !== 'kgw' && given.payloadBits !== undefined) return '--payload-bits applies to the kgw scheme only';
  return undefined;
}

/** A context mode from its name; SpecError otherwise. */
export function contextModeOf(m: string): ContextMode {
  if (m === 'left' || m === 'min' || m === 'self') return m;
  throw new SpecError(`--mode must be left, min or self (got ${JSON.stringify(m)})`);
}

/** A validated spec from the choices, bound to a key by its public fingerprint; SpecError on any bad choice. */
export function buildSpec(o: SpecOptions, keyFingerprint: string): WatermarkSpec {
  const problem = schemeOptionsProblem(o.scheme, o);
  if (problem !== undefined) throw new SpecError(problem);
  const L = SPEC_LIMITS;
  const name = o.scheme as (typeof SPEC_SCHEME_NAMES)[number];
  let scheme: WatermarkSpecInput['scheme'];
  if (name === 'kgw' || name === 'unigram') {
    scheme = { name, gamma: o.gamma ?? L.gamma.default, delta: o.delta ?? L.delta.default };
  } else if (name === 'synthid') {
    scheme = { name, layers: o.layers ?? L.layers.default };
  } else {
    scheme = { name: 'gumbel' };
  }
  const input: WatermarkSpecInput = {
    version: 1,
    ...(o.id !== undefined ? { id: o.id } : {}),
    tokenizer: o.tokenizer ?? 'o200k_base',
    scheme,
    context: { width: o.width ?? L.width.default, mode: contextModeOf(o.mode ?? 'left') },
    payload: o.payloadBits !== undefined ? { bits: o.payloadBits, digitBits: o.digitBits ?? L.digitBits.default } : null,
    keyFingerprint,
  };
  // The schema checks the ranges and the combinations (payload digits vs γ).
  return parseSpec(input);
}

/** One line describing a spec for people. */
export function describeSpec(spec: WatermarkSpec): string {
  const sc = spec.scheme;
  const params =
    sc.name === 'kgw' || sc.name === 'unigram' ? `γ=${sc.gamma} δ=${sc.delta}` : sc.name === 'synthid' ? `${sc.layers} layers` : 'distortion-free';
  const ctx = sc.name === 'unigram' ? 'no context (one fixed list)' : `context h=${spec.context.width} (${spec.context.mode})`;
  const payload = spec.payload ? `, ${spec.payload.bits}-bit payload (${spec.payload.digitBits} bits/digit)` : ', zero-bit';
  return `${sc.name} ${params}, ${ctx}, tokenizer ${spec.tokenizer}${payload}`;
}

/** Advice about settings that are valid but weak for proving distillation (docs/RADIOACTIVITY.md). */
export function specNotes(spec: WatermarkSpec): string[] {
  const notes: string[] = [];
  const sc = spec.scheme;
  if (sc.name !== 'unigram' && spec.context.width >= 4) {
    notes.push(`context width ${spec.context.width} is far less radioactive than h = 1–2: a distilled student reproduces fewer long windows`);
  }
  if ((sc.name === 'kgw' || sc.name === 'unigram') && sc.delta < 1) notes.push(`δ = ${sc.delta} is a weak bias: detection needs many more tokens`);
  if (sc.name === 'unigram') notes.push('unigram uses one fixed green list: robust, but ~30k queries can learn it (spoofing); rotate keys');
  if (spec.payload) notes.push('with a payload, a student trained on many accounts mixes their ids; the per-id test then has less power than a zero-bit test');
  return notes;
}
