/**
 * The open-model radioactivity test (docs/RADIOACTIVITY.md §4b; Sander et al. 2024's
 * open-model setting): the suspect's weights are in hand, so instead of one sampled
 * token per position we read its whole next-token distribution p(·|context) at each
 * distinct window of our texts and ask whether it puts more mass on our keyed tokens
 * than chance.
 *
 *   green mass   X_w = Σ_v p(v)·s(w, v) at each distinct window w, with s the per-token
 *                score scaled to [0, 1] (KGW: green 0/1, mean γ_eff; SynthID: g-count/m,
 *                mean ½; Gumbel: the token's uniform r, mean ½). Under H0 the suspect
 *                does not depend on the key, the keyed values of distinct PRF inputs are
 *                independent, so E[X_w | earlier windows] = μ and the betting e-process
 *                of betting.ts gives an anytime-valid p = 1 / sup E.
 *                Unlisted mass (the listing's rest) and tokens whose PRF input another
 *                window shares (self mode: seed min(w, H(v)) = H(v)) are credited at μ:
 *                that keeps X_w ∈ [0, 1] with mean μ and the windows independent.
 *                Unigram has one window (every position shares the green list): its
 *                units are tokens instead — q(v) = Σ over distinct contexts of p(v), and
 *                each listed token v is one observation green(v) with its bet scaled by
 *                q(v)/max q (tokens in order of decreasing q; q is key-independent).
 *   argmax       at windows where the suspect's most likely listed token is unique (no
 *                listed tie), that token's score: one exact test over distinct PRF inputs
 *                (Binomial(n·m, p) for KGW/Unigram/SynthID, Gamma(n, 1) for Gumbel).
 *   verdict      min of the two p-values × 2 (Bonferroni) ≤ α.
 *
 * Which windows are scored depends on the texts and on the key's context hasher only
 * (never on the keyed PRF values), so the same evidence under decoy keys is a negative
 * control: their p-values are valid (conservative for the e-process, so no uniformity
 * check is made on them) and at most α·K of them may be significant on average.
 */
import { Watermark, type AnySpec, type WatermarkKey, type WatermarkSpec, isEngineSpec } from '@tracemark/watermark';
import { schemeNameOf, type SchemeName } from '../detection-types.js';
import { binomialUpperTailLog, gammaUpperTailLog, lnToLog10 } from '../stats/index.js';
import { ADDED, TupleSet } from '../tupleset.js';
import { BoundedMeanEProcess } from './betting.js';
import { decoySummary, type DecoySummary } from './radioactivity.js';

/** The suspect's next-token distribution: listed tokens with their probabilities, and the mass of the rest. */
export interface NextTokenListing {
  ids: ArrayLike<number>;
  probs: ArrayLike<number>;
  restMass: number;
}

export interface OpenModelTest {
  // greenMass.mean: the mean X_w (Unigram: the q-weighted green fraction of the listed tokens)
  /** Distinct windows scored (Unigram: distinct contexts read). */
  windows: number;
  greenMass: { observations: number; mean: number; nullMean: number; maxLnE: number; lnP: number; log10P: number };
  argmax: { scored: number; score: number; expected: number; lnP: number; log10P: number };
  /** 2·min of the two p-values (Bonferroni), ln and log10. */
  lnP: number;
  log10P: number;
}

/** Refuses what the open-model test does not cover, in one line. */
export function assertOpenModelSpec(spec: AnySpec): asserts spec is WatermarkSpec {
  if (isEngineSpec(spec)) throw new RangeError(`the open-model test needs a tracemark spec (version 1); an engine spec (${spec.engine.scheme}) is not supported`);
  if (spec.payload !== null) throw new RangeError('the open-model test reads the zero-bit keyed scores; a payload spec is not supported (its green list depends on the message)');
}

/** One key's pass: the same listings, that key's windows and scores. */
export class OpenModelPass {
  readonly wm: Watermark;
  readonly #scheme: WatermarkSpec['scheme'];
  readonly #mu: number;
  readonly #mass: BoundedMeanEProcess;
  readonly #windows = new TupleSet(1 << 12);
  readonly #argmaxUnits = new TupleSet(1 << 12);
  readonly #unigramQ = new Map<number, number>();
  #argmaxN = 0;
  #argmaxSum = 0;
  #windowCount = 0;
  readonly #w = { hi: 0, lo: 0 };
  readonly #s = { hi: 0, lo: 0 };

  constructor(spec: AnySpec, key: WatermarkKey) {
    assertOpenModelSpec(spec);
    this.wm = new Watermark(spec, key);
    this.#scheme = spec.scheme;
    this.#mu = this.#scheme.name === 'kgw' || this.#scheme.name === 'unigram' ? this.wm.gammaEff : 0.5;
    this.#mass = new BoundedMeanEProcess(this.#mu);
  }

  /** The keyed value of token v at window w scaled to [0, 1] (mean μ under H0). */
  #unitScore(w: { hi: number; lo: number }, v: number): number {
    switch (this.#scheme.name) {
      case 'kgw':
      case 'unigram':
        return this.wm.isGreen(w, v) ? 1 : 0;
      case 'synthid':
        return this.wm.score(w, v) / this.#scheme.layers;
      case 'gumbel':
        return this.wm.uniform(w, v);
    }
  }

  /** Add the suspect's distribution after tokens[0 … end−1]. */
  add(tokens: ArrayLike<number>, end: number, next: NextTokenListing): void {
    const w = this.#w;
    if (!this.wm.windowSeed(tokens, end, w)) return;
    const unigram = this.#scheme.name === 'unigram';
    if (unigram) {
      this.#windowCount++;
      for (let i = 0; i < next.ids.length; i++) this.#unigramQ.set(next.ids[i]!, (this.#unigramQ.get(next.ids[i]!) ?? 0) + next.probs[i]!);
    } else if (this.#windows.add(w.hi | 0, w.lo | 0, 0) === ADDED) {
      this.#windowCount++;
      let own = 0, x = 0;
      for (let i = 0; i < next.ids.length; i++) {
        const v = next.ids[i]!;
        const t = this.wm.tokenSeed(w, v, this.#s);
        if (t.hi !== w.hi || t.lo !== w.lo) continue; // shared PRF input (self mode): credited at μ
        const p = next.probs[i]!;
        own += p;
        x += p * this.#unitScore(w, v);
      }
      own = Math.min(1, own);
      this.#mass.update(Math.min(1, Math.max(0, x + (1 - own) * this.#mu)));
    } else return;
    const a = uniqueArgmax(next);
    if (a < 0) return;
    const t = this.wm.tokenSeed(w, a, this.#s);
    if (this.#argmaxUnits.add(t.hi | 0, t.lo | 0, a | 0) !== ADDED) return;
    this.#argmaxN++;
    this.#argmaxSum += this.wm.score(w, a);
  }

  test(): OpenModelTest {
    const mass = this.#scheme.name === 'unigram' ? this.#unigramProcess() : this.#mass;
    const am = this.#argmaxTest();
    const lnP = Math.min(0, Math.min(mass.lnP, am.lnP) + Math.LN2);
    return {
      windows: this.#windowCount,
      greenMass: { observations: mass.n, mean: Number.isFinite(mass.mean) ? mass.mean : this.#mu, nullMean: this.#mu, maxLnE: mass.maxLnE, lnP: mass.lnP, log10P: lnToLog10(mass.lnP) },
      argmax: am,
      lnP,
      log10P: lnToLog10(lnP),
    };
  }

  /** Unigram: one observation per listed token, in order of decreasing q, bets scaled by q / max q. */
  #unigramProcess(): BoundedMeanEProcess {
    const e = new BoundedMeanEProcess(this.#mu);
    const entries = [...this.#unigramQ].filter(([, q]) => q > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const top = entries[0]?.[1] ?? 0;
    for (const [v, q] of entries) e.update(this.#unitScore(this.#w, v), q / top);
    return e;
  }

  #argmaxTest(): OpenModelTest['argmax'] {
    const n = this.#argmaxN, s = this.#argmaxSum;
    const nm = this.wm.nullModel;
    let lnP = 0, expected = 0;
    if (nm.kind === 'gamma') {
      expected = n;
      lnP = n > 0 ? gammaUpperTailLog(n, s) : 0;
    } else {
      expected = n * nm.trialsPerToken * nm.p;
      lnP = binomialUpperTailLog(Math.round(s), n * nm.trialsPerToken, nm.p);
    }
    return { scored: n, score: s, expected, lnP, log10P: lnToLog10(lnP) };
  }
}

/**
 * The listed token with the largest probability when no other listed token ties it, else
 * −1. Unlisted tokens are not compared (a listing's rest may hide a larger one: Kneser–Ney
 * backoff mass is spread over the whole vocabulary and cannot be bounded per token); the
 * choice is a function of the suspect's output alone, hence key-independent, so the
 * argmax test is exact either way.
 */
export function uniqueArgmax(next: NextTokenListing): number {
  let best = -1, p1 = -Infinity, p2 = -Infinity;
  for (let i = 0; i < next.ids.length; i++) {
    const p = next.probs[i]!;
    if (p > p1) {
      p2 = p1;
      p1 = p;
      best = next.ids[i]!;
    } else if (p > p2) p2 = p;
  }
  return best >= 0 && p1 > p2 ? best : -1;
}

export interface OpenModelSummary {
  scheme: SchemeName;
  alpha: number;
  /** Positions read (distributions offered) and distinct raw contexts among them. */
  positions: number;
  test: OpenModelTest;
  decoys: DecoySummary;
  verdict: 'detected' | 'not-detected';
}

export interface OpenModelOptions {
  spec: AnySpec;
  key: WatermarkKey;
  decoyKeys?: readonly WatermarkKey[];
  alpha?: number;
}

/**
 * The whole test under the real key and the decoys. `wants(tokens, end)` says whether a
 * position's raw context (its last max(1, h) tokens, key-independent) is new, so the
 * caller asks the suspect model only there; `add` then feeds every key.
 */
export class OpenModelRun {
  readonly alpha: number;
  readonly #real: OpenModelPass;
  readonly #decoys: OpenModelPass[];
  readonly #seen = new Set<string>();
  readonly #width: number;
  #positions = 0;

  constructor(o: OpenModelOptions) {
    this.alpha = o.alpha ?? 1e-6;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${this.alpha}`);
    this.#real = new OpenModelPass(o.spec, o.key);
    this.#decoys = (o.decoyKeys ?? []).map((k) => {
      if (k.fingerprint === o.key.fingerprint) throw new RangeError('a decoy key must differ from the real key');
      return new OpenModelPass({ ...(o.spec as WatermarkSpec), keyFingerprint: k.fingerprint }, k);
    });
    this.#width = Math.max(1, (o.spec as WatermarkSpec).context.width);
  }

  /** Is the raw context before position `end` new (and long enough)? Marks it seen. */
  wants(tokens: ArrayLike<number>, end: number): boolean {
    if (end < this.#width) return false;
    const k = Array.prototype.slice.call(tokens, end - this.#width, end).join(',');
    if (this.#seen.has(k)) return false;
    this.#seen.add(k);
    return true;
  }

  add(tokens: ArrayLike<number>, end: number, next: NextTokenListing): void {
    this.#positions++;
    this.#real.add(tokens, end, next);
    for (const d of this.#decoys) d.add(tokens, end, next);
  }

  summary(): OpenModelSummary {
    const test = this.#real.test();
    const lnAlpha = Math.log(this.alpha);
    return {
      scheme: schemeNameOf(this.#real.wm.spec),
      alpha: this.alpha,
      positions: this.#positions,
      test,
      decoys: decoySummary(this.#decoys.map((d) => d.test().lnP), lnAlpha, []),
      verdict: test.lnP <= lnAlpha ? 'detected' : 'not-detected',
    };
  }
}
