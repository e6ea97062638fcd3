/**
 * A Watermark binds a spec to its key and answers the two questions both sides ask:
 * "what is this step's seed?" and "what does the PRF say about this token there?".
 */
import { prfBatch, type PrfWords } from './kernel/prf-batch.js';
import { assertKeyMatches, type WatermarkKey } from './keys.js';
import { gammaThreshold, gCount, payloadColourOf, tokenPrf, unit53 } from './prf.js';
import { sipSeedToken, type SipKey, type U64 } from './siphash.js';
import type { WatermarkSpec } from './spec.js';
import { WindowHasher, type Seed } from './window.js';

/** The null distribution of the per-text score, which the detector turns into a p-value. */
export type NullModel =
  | { kind: 'binomial'; trialsPerToken: number; p: number } // kgw, unigram (1 trial, γ_eff), synthid (m trials, 1/2)
  | { kind: 'gamma' }; // gumbel: Σ −ln(1−r) ~ Gamma(n, 1)

/**
 * The null model of a spec: it depends on the scheme's parameters only, not on the
 * key, so a planner can ask for it without one. KGW/Unigram test at γ_eff, the rate
 * the threshold ⌊γ·2^32⌋ actually gives, not at γ.
 */
export function nullModelOf(spec: Pick<WatermarkSpec, 'scheme'>): NullModel {
  const sc = spec.scheme;
  if (sc.name === 'gumbel') return { kind: 'gamma' };
  if (sc.name === 'synthid') return { kind: 'binomial', trialsPerToken: sc.layers, p: 0.5 };
  return { kind: 'binomial', trialsPerToken: 1, p: gammaThreshold(sc.gamma) / 2 ** 32 };
}

const UNIGRAM_SEED: Seed = { hi: 0, lo: 0 };

export class Watermark {
  readonly spec: WatermarkSpec;
  readonly hasher: WindowHasher;
  /** Tokens of context a position needs before it is watermarked (0 for unigram). */
  readonly contextWidth: number;
  readonly nullModel: NullModel;
  /** KGW/unigram: hi32 threshold; γ_eff = threshold / 2^32. */
  readonly threshold: number;
  readonly gammaEff: number;
  readonly #prfKey: SipKey;
  readonly #positionKey: SipKey;
  readonly #digits: number;
  readonly #colours: number;
  readonly #x: U64 = { hi: 0, lo: 0 };
  readonly #s: Seed = { hi: 0, lo: 0 };

  constructor(spec: WatermarkSpec, key: WatermarkKey) {
    assertKeyMatches(key, spec.keyFingerprint);
    this.spec = spec;
    const sc = spec.scheme;
    this.hasher = new WindowHasher(key.subkey('context'), spec.context.width, spec.context.mode);
    this.contextWidth = sc.name === 'unigram' ? 0 : spec.context.width;
    this.#prfKey = key.subkey(sc.name);
    this.#positionKey = key.subkey('payload-position');
    const gamma = sc.name === 'kgw' || sc.name === 'unigram' ? sc.gamma : 0.5;
    this.threshold = gammaThreshold(gamma);
    this.gammaEff = this.threshold / 2 ** 32;
    this.#digits = spec.payload ? spec.payload.bits / spec.payload.digitBits : 0;
    this.#colours = spec.payload ? 2 ** spec.payload.digitBits : 0;
    this.nullModel = nullModelOf(spec);
  }

  /**
   * The window part of the seed for a step that has `end` tokens before it.
   * Returns false when there is not enough context (the step is not watermarked).
   */
  windowSeed(tokens: ArrayLike<number>, end: number, out: Seed): boolean {
    if (this.spec.scheme.name === 'unigram') {
      out.hi = 0;
      out.lo = 0;
      return true;
    }
    return this.hasher.windowSeed(tokens, end, out);
  }

  /** The full PRF input seed for `token` at a step whose window seed is `window`. */
  tokenSeed(window: Seed, token: number, out: Seed): Seed {
    if (this.spec.scheme.name === 'unigram') {
      out.hi = UNIGRAM_SEED.hi;
      out.lo = UNIGRAM_SEED.lo;
      return out;
    }
    return this.hasher.tokenSeed(window, token, out);
  }

  /** Raw 64-bit PRF output for (window seed, token); self mode folds the token into the seed. */
  prf(window: Seed, token: number, out: U64 = this.#x): U64 {
    return tokenPrf(this.#prfKey, this.tokenSeed(window, token, this.#s), token, out);
  }

  /**
   * prf(window, ids[i]) for i < n in one batched call (kernel/prf-batch.ts: WebAssembly
   * when the runtime has it): the words are views valid until the next batched call.
   */
  prfMany(window: Seed, ids: Int32Array, n: number): PrfWords {
    if (this.spec.scheme.name !== 'unigram' && this.hasher.mode === 'self') {
      return prfBatch().perTokenSeed(this.#prfKey, ids, n, (v, out) => this.hasher.tokenSeed(window, v, out));
    }
    const s = this.tokenSeed(window, 0, this.#s); // one seed for every token in the other modes
    return prfBatch().fixedSeed(this.#prfKey, s.hi, s.lo, ids, n);
  }

  /** KGW/unigram: is the token green at this step (zero-bit watermark)? */
  isGreen(window: Seed, token: number): boolean {
    return this.prf(window, token).hi < this.threshold;
  }

  /**
   * Per-token detection score:
   *   kgw/unigram: 1 if green else 0;  synthid: number of g-values equal to 1 (0..m);
   *   gumbel: −ln(1 − r), Exp(1) under the null.
   */
  score(window: Seed, token: number): number {
    const x = this.prf(window, token);
    const sc = this.spec.scheme;
    switch (sc.name) {
      case 'kgw':
      case 'unigram':
        return x.hi < this.threshold ? 1 : 0;
      case 'synthid':
        return gCount(x, sc.layers);
      case 'gumbel':
        return -Math.log1p(-unit53(x));
    }
  }

  /** Gumbel: the uniform r_v for the token at this step. */
  uniform(window: Seed, token: number): number {
    return unit53(this.prf(window, token));
  }

  /** Payload: number of digit positions B = bits / digitBits (0 without a payload). */
  get payloadDigits(): number {
    return this.#digits;
  }
  get payloadColours(): number {
    return this.#colours;
  }

  /**
   * Payload: which digit this (step, token) carries: SipHash(k_payload-position,
   * LE64(seed) ‖ LE32(0)).lo mod B, where seed is the token seed (so self mode works).
   */
  payloadPosition(window: Seed, token: number): number {
    const s = this.tokenSeed(window, token, this.#s);
    return sipSeedToken(this.#positionKey, s.hi, s.lo, 0, this.#x).lo % this.#digits;
  }

  /**
   * Payload: the token's colour c = floor(hi32 / T) when c < 2^digitBits, else −1
   * (the token is in no coloured list). Digit value d makes colour d the green list.
   */
  payloadColour(window: Seed, token: number): number {
    return payloadColourOf(this.prf(window, token).hi, this.threshold, this.#colours);
  }
}

/** Split an N-bit message (bigint or number) into its base-2^digitBits digits, least significant first. */
export function messageDigits(message: bigint, bits: number, digitBits: number): number[] {
  if (message < 0n || message >= 1n << BigInt(bits)) {
    throw new Error(`payload message must be in [0, 2^${bits})`);
  }
  const out: number[] = [];
  const mask = (1n << BigInt(digitBits)) - 1n;
  for (let i = 0; i < bits / digitBits; i++) out.push(Number((message >> BigInt(i * digitBits)) & mask));
  return out;
}

export function digitsToMessage(digits: readonly number[], digitBits: number): bigint {
  let m = 0n;
  for (let i = digits.length - 1; i >= 0; i--) m = (m << BigInt(digitBits)) | BigInt(digits[i]!);
  return m;
}
