/**
 * The closed-model radioactivity test (docs/RADIOACTIVITY.md): is a suspect model a clone distilled
 * from our watermarked outputs? Evidence = the suspect's responses to our prompts.
 *
 *   1. exclusion  positions whose window lies in a text given for that response are
 *                 not scored (the suspect may copy its prompt);
 *   2. filter     optionally, only positions whose window (real key) is in a filter:
 *                 supervised — the windows our ledger says we sent to given accounts;
 *                 unsupervised — the windows of fresh watermarked generations of our own
 *                 model on the same prompts (windows our model tends to emit, hence
 *                 windows a student of it is likely to have learned);
 *   3. dedup      each (window, token) tuple once across all responses;
 *   4. test       exact pooled test (Binomial / Gamma; payload: "carries some id"),
 *                 plus per-family tests on disjoint tuple sets and their Fisher combination;
 *   5. controls   the same evidence, same positions, under K decoy keys (their p-values
 *                 must look uniform: KS test) and, if given, a control model's responses.
 *
 * Validity of the filtered test: which positions are kept depends only on windows,
 * never on the green list at that window, so under H0 (the suspect's text does not
 * depend on our key) the kept tuples are still i.i.d. with the null score distribution.
 * Filters select by window, never by (window, token) pair (see windows.ts). For an engine
 * spec a window is the engine reader's context digest (key-independent: decoys see the
 * same mask).
 */
import { seededRng, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { schemeNameOf, type SchemeName } from '../detection-types.js';
import { binomialPmfLog, binomialUpperTailLog, DECOY_KS_THRESHOLD, fisherCombineLog, ksUniform, lnToLog10 } from '../stats/index.js';
import { familyOf } from './families.js';
import { PooledPass, type PoolTest } from './pool.js';
import { windowMask, type WindowSet } from './windows.js';

export interface EvidenceItem {
  /** Prompt id (families are hashed from it unless `family` is given). */
  id: string;
  /** The response's token ids. */
  tokens: ArrayLike<number>;
  /** Token ids of every text the suspect was given for this response. */
  given?: readonly ArrayLike<number>[];
  /** Explicit family index (0 … families−1). */
  family?: number;
}

export interface RadioactivityOptions {
  spec: AnySpec;
  /** Tracemark's key for a version-1 spec, the engine's key for an engine spec (decoys: the same kind). */
  key: WatermarkKey | EngineKey;
  /** Window filter (seeds under the real key; for an engine spec, the reader's context digests). */
  filter?: WindowSet | undefined;
  /** How the filter was made, for the record (e.g. "supervised: ledger accounts a,b"). */
  filterName?: string;
  /** Decoy keys: same spec but for the fingerprint; scored on exactly the same positions. */
  decoyKeys?: readonly (WatermarkKey | EngineKey)[];
  /** Disjoint sub-tests combined with Fisher (0 or 1 = none). */
  families?: number;
  /** Significance level of the verdict (default 1e-6). */
  alpha?: number;
  specialTokens?: Iterable<number>;
}

export interface Accounting {
  responses: number;
  tokens: number;
  excluded: number;
  duplicatesWithin: number;
  /** Scored positions dropped by the window filter. */
  unselected: number;
  duplicatesAcross: number;
  /** Distinct tuples in the pooled test. */
  scored: number;
}

export interface DecoySummary {
  k: number;
  log10P: number[];
  medianLog10P: number | null;
  minLog10P: number | null;
  /** Decoys significant at α (should be 0; expected α·K). */
  significant: number;
  /** KS test of the decoy p-values against U(0, 1) — randomized for discrete tests; decoys with no scored tuple are left out (null when fewer than 2 remain). */
  ks: { statistic: number; pValue: number; method: string } | null;
  /** KS p ≥ DECOY_KS_THRESHOLD (0.001; null when the KS test is). */
  uniform: boolean | null;
}

export interface RadioactivitySummary {
  scheme: SchemeName;
  alpha: number;
  filter: { name: string; windows: number } | null;
  accounting: Accounting;
  pooled: PoolTest;
  families: { k: number; tests: { family: number; scored: number; lnP: number; log10P: number }[]; fisherLnP: number; fisherLog10P: number } | null;
  decoys: DecoySummary;
  verdict: 'detected' | 'not-detected';
}

/** Incremental run: add responses one at a time, summarise at any point (evidence curves, checkpoints). */
export class RadioactivityRun {
  readonly alpha: number;
  readonly #spec: AnySpec;
  readonly #real: PooledPass;
  readonly #decoys: PooledPass[];
  readonly #filter: WindowSet | undefined;
  readonly #filterName: string;
  readonly #k: number;
  readonly #acc: Accounting = { responses: 0, tokens: 0, excluded: 0, duplicatesWithin: 0, unselected: 0, duplicatesAcross: 0, scored: 0 };

  constructor(o: RadioactivityOptions) {
    this.alpha = o.alpha ?? 1e-6;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${this.alpha}`);
    this.#spec = o.spec;
    this.#k = o.families !== undefined && o.families > 1 ? o.families : 0;
    const specials = o.specialTokens ? [...o.specialTokens] : undefined;
    const popts = { families: this.#k, ...(specials ? { specialTokens: specials } : {}) };
    this.#real = new PooledPass(o.spec, o.key, popts);
    this.#decoys = (o.decoyKeys ?? []).map((k) => {
      if (k.fingerprint === o.key.fingerprint) throw new RangeError('a decoy key must differ from the real key');
      return new PooledPass({ ...o.spec, keyFingerprint: k.fingerprint }, k, popts);
    });
    this.#filter = o.filter;
    this.#filterName = o.filterName ?? (o.filter ? 'filter' : '');
  }

  add(item: EvidenceItem): void {
    const a = this.#acc;
    a.responses++;
    if (item.tokens.length === 0) return;
    const mask = this.#filter ? windowMask(this.#real.windowSource, item.tokens, this.#filter) : undefined;
    const family = this.#k > 0 ? (item.family ?? familyOf(item.id, this.#k)) : undefined;
    if (family !== undefined && !(Number.isInteger(family) && family >= 0 && family < this.#k)) {
      throw new RangeError(`family ${family} of ${item.id} is outside [0, ${this.#k})`);
    }
    const st = this.#real.add(item.tokens, item.given, { mask, family });
    a.tokens += st.tokens;
    a.excluded += st.excluded;
    a.duplicatesWithin += st.duplicatesWithin;
    a.unselected += st.unselected;
    a.duplicatesAcross += st.duplicatesAcross;
    a.scored += st.novel;
    for (const d of this.#decoys) d.add(item.tokens, item.given, { mask, family });
  }

  summary(): RadioactivitySummary {
    const lnAlpha = Math.log(this.alpha);
    const pooled = this.#real.test();
    let families: RadioactivitySummary['families'] = null;
    if (this.#k > 0) {
      const tests = Array.from({ length: this.#k }, (_, f) => {
        const t = this.#real.familyTest(f);
        return { family: f, scored: t.scored, lnP: t.lnP, log10P: t.log10P };
      });
      const fisherLnP = fisherCombineLog(tests.map((t) => t.lnP));
      families = { k: this.#k, tests, fisherLnP, fisherLog10P: lnToLog10(fisherLnP) };
    }
    return {
      scheme: schemeNameOf(this.#spec),
      alpha: this.alpha,
      filter: this.#filter ? { name: this.#filterName, windows: this.#filter.size } : null,
      accounting: { ...this.#acc },
      pooled,
      families,
      decoys: decoySummary(
        this.#decoys.map((d) => d.test().lnP),
        lnAlpha,
        // decoys with no scored tuple carry no information: left out of the KS check
        this.#decoys.flatMap((d, i) => (d.test().scored > 0 ? [randomizedP(d, i)] : [])),
      ),
      verdict: pooled.lnP <= lnAlpha ? 'detected' : 'not-detected',
    };
  }
}

/**
 * The decoy's p-value made exactly uniform under H0 for the KS check: binomial tests are
 * discrete (with few tuples, p = 1 has real mass), so P(S > s) + U·P(S = s) with a fixed
 * pseudo-random U per decoy (reproducible). Gamma and payload tests: the p-value itself.
 * No scored tuple (any test): the statistic is degenerate (p = 1 with probability 1), so the
 * randomized p-value is U itself — still exactly U(0, 1). (Decoys with no scored tuple are
 * left out of the KS check anyway: see `summary`.)
 */
export function randomizedP(d: PooledPass, index: number): number {
  const t = d.test();
  const nm = d.nullModel;
  if (t.scored === 0 || t.trials === 0) return seededRng(`tracemark/decoy-ks/v1/${index}`)();
  if (t.test !== 'binomial' || nm.kind !== 'binomial') return Math.exp(t.lnP);
  const s = Math.round(t.score);
  const u = seededRng(`tracemark/decoy-ks/v1/${index}`)();
  return Math.min(1, Math.exp(binomialUpperTailLog(s + 1, t.trials, nm.p)) + u * Math.exp(binomialPmfLog(s, t.trials, nm.p)));
}

/** Decoy statistics; the KS test uses `uniformPs` (randomized p-values, possibly fewer than `lnPs`) when given. */
export function decoySummary(lnPs: readonly number[], lnAlpha: number, uniformPs?: readonly number[]): DecoySummary {
  const log10P = lnPs.map(lnToLog10);
  const sorted = [...log10P].sort((a, b) => a - b);
  const k = sorted.length;
  const median = k === 0 ? null : k % 2 ? sorted[(k - 1) / 2]! : (sorted[k / 2 - 1]! + sorted[k / 2]!) / 2;
  const ksOn = uniformPs ? [...uniformPs] : lnPs.map((l) => Math.exp(l));
  const ks = ksOn.length >= 2 ? ksUniform(ksOn) : null;
  return {
    k,
    log10P,
    medianLog10P: median,
    minLog10P: k === 0 ? null : sorted[0]!,
    significant: lnPs.filter((l) => l <= lnAlpha).length,
    ks: ks ? { statistic: ks.statistic, pValue: ks.pValue, method: ks.method } : null,
    uniform: ks ? ks.pValue >= DECOY_KS_THRESHOLD : null,
  };
}

export interface RadioactivityResult {
  suspect: RadioactivitySummary;
  control: RadioactivitySummary | null;
  /** Every negative control passed: no decoy significant, decoys uniform, control not significant. */
  controlsOk: boolean;
  /** What failed, in words (empty when controlsOk). */
  warnings: string[];
  verdict: 'detected' | 'not-detected';
}

/** The whole test: suspect and (optional) control transcripts under the same options. */
export function radioactivityTest(o: RadioactivityOptions & { suspect: readonly EvidenceItem[]; control?: readonly EvidenceItem[] }): RadioactivityResult {
  const run = new RadioactivityRun(o);
  for (const it of o.suspect) run.add(it);
  const suspect = run.summary();
  let control: RadioactivitySummary | null = null;
  if (o.control) {
    const c = new RadioactivityRun(o);
    for (const it of o.control) c.add(it);
    control = c.summary();
  }
  const warnings = controlWarnings(suspect, control);
  return { suspect, control, controlsOk: warnings.length === 0, warnings, verdict: suspect.verdict };
}

export function controlWarnings(suspect: RadioactivitySummary, control: RadioactivitySummary | null): string[] {
  const w: string[] = [];
  const check = (s: RadioactivitySummary, who: string): void => {
    if (s.decoys.significant > 0) w.push(`${who}: ${s.decoys.significant} of ${s.decoys.k} decoy keys are significant at α = ${s.alpha}`);
    if (s.decoys.uniform === false) w.push(`${who}: decoy p-values do not look uniform (KS p = ${s.decoys.ks!.pValue.toExponential(2)})`);
  };
  check(suspect, 'suspect');
  if (control) {
    if (control.verdict === 'detected') w.push(`control model is significant (log10 p = ${control.pooled.log10P.toFixed(1)}): the pipeline or the control is compromised`);
    check(control, 'control');
  }
  return w;
}
