/**
 * The scoring pass for engine specs (version 2): the engine's reader says which positions
 * it keyed, what each position's PRF read besides the token, and tracemark's score; this
 * applies tracemark's own rules on top, in the order the native Scorer does:
 *   NO_CONTEXT  the engine did not key the position (its context is not in the text);
 *   SPECIAL     a special token;
 *   EXCLUDED    the position's context occurred in a text given to the generator;
 *   DUPLICATE   the same (PRF input, token) was already scored in this text;
 *   SCORED      otherwise.
 * The output has the native Scorer's shape, so detection, localisation and corpus-wide
 * deduplication run unchanged on engine schemes.
 */
import { createEngineReader, engines, type EngineKey, type EngineReader, type EngineSpec, type NullModel } from '@tracemark/watermark';
import { DetectorError } from './errors.js';
import { releaseLargeSet, scratchTuples, shared } from './kernel/scratch.js';
import { ExclusionSet, FLAG_DUPLICATE, FLAG_EXCLUDED, FLAG_NO_CONTEXT, FLAG_SPECIAL, validateTokens, type ScoredTokens, type ScoreOptions, type TokenFlag } from './scorer.js';
import { PRESENT } from './tupleset.js';

export interface EngineScoreOptions extends ScoreOptions {
  /** Prompt ids, for engines whose first contexts reach into the prompt (SGLang, HF KGW). */
  prompt?: ArrayLike<number>;
}

export class EngineScorer {
  readonly spec: EngineSpec;
  readonly reader: EngineReader;
  readonly nullModel: NullModel;
  #specials: Set<number> = new Set();
  #minSpecial = Infinity;

  constructor(spec: EngineSpec, key: EngineKey) {
    this.spec = spec;
    this.reader = createEngineReader(spec, key, { error: (m) => new DetectorError('WRONG_KEY', m) });
    this.nullModel = this.reader.nullModel;
  }

  setSpecialTokens(ids: Iterable<number>): void {
    this.#specials = new Set(ids);
    this.#minSpecial = Math.min(Infinity, ...this.#specials);
  }

  /** Contexts of every full window inside each text (and the one after it): "the generator was given these". */
  exclusionSet(texts: Iterable<ArrayLike<number>>, into?: ExclusionSet): ExclusionSet {
    const ex = into ?? new ExclusionSet(this.spec.keyFingerprint);
    if (ex.keyFingerprint !== this.spec.keyFingerprint) throw new DetectorError('WRONG_KEY', 'exclusion set was built with a different key');
    const w = this.reader.contextWidth;
    const d = new Int32Array(2);
    for (const toks of texts) {
      for (let end = w; end <= toks.length; end++) {
        digestWindow(toks, end - w, end, d);
        ex.set.add(d[0]!, d[1]!, 0);
      }
    }
    return ex;
  }

  score(tokens: ArrayLike<number>, opts: EngineScoreOptions = {}): ScoredTokens {
    validateTokens(tokens);
    if (opts.payload) throw new DetectorError('NO_PAYLOAD', 'engine specs carry no payload');
    if (opts.exclude && opts.exclude.keyFingerprint !== this.spec.keyFingerprint) throw new DetectorError('WRONG_KEY', 'exclusion set was built with a different key');
    const n = tokens.length;
    const out: ScoredTokens = { tokens: n, scored: 0, duplicates: 0, excluded: 0, noContext: 0, special: 0, sum: 0 };
    if (opts.perToken) {
      out.flags = new Uint8Array(n);
      out.scores = new Float64Array(n).fill(NaN);
    }
    const t = opts.tuples ? scratchTuples(n) : undefined;
    const r = this.reader.read(tokens, opts.prompt ? { prompt: opts.prompt } : {});
    const dedup = opts.dedup ?? true;
    const set = shared().set;
    set.clear();
    if (dedup) set.reserve(n);
    const excl = opts.exclude?.set;
    const flag = (i: number, f: TokenFlag) => {
      if (out.flags) out.flags[i] = f;
      if (f === FLAG_DUPLICATE) out.duplicates++;
      else if (f === FLAG_EXCLUDED) out.excluded++;
      else if (f === FLAG_NO_CONTEXT) out.noContext++;
      else if (f === FLAG_SPECIAL) out.special++;
    };
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const tok = tokens[i]!;
      if (!r.keyed[i]) {
        flag(i, FLAG_NO_CONTEXT);
        continue;
      }
      if (tok >= this.#minSpecial && this.#specials.has(tok)) {
        flag(i, FLAG_SPECIAL);
        continue;
      }
      if (excl !== undefined && excl.has(r.ctxHi[i]!, r.ctxLo[i]!, 0)) {
        flag(i, FLAG_EXCLUDED);
        continue;
      }
      const hi = r.idHi[i]!, lo = r.idLo[i]!;
      if (dedup && set.add(hi, lo, tok) === PRESENT) {
        flag(i, FLAG_DUPLICATE);
        continue;
      }
      const s = r.score[i]!;
      const c = out.scored++;
      sum += s; // in text order, as the native scorer sums
      if (out.scores) out.scores[i] = s;
      if (t) {
        t.hi[c] = hi;
        t.lo[c] = lo;
        t.token[c] = tok;
        t.score[c] = s;
      }
    }
    out.sum = sum;
    releaseLargeSet();
    if (t) {
      const c = out.scored;
      out.tuples = { count: c, hi: t.hi.slice(0, c), lo: t.lo.slice(0, c), token: t.token.slice(0, c), score: t.score.slice(0, c) };
    }
    return out;
  }
}

/** The readers' context digest of a full window (no padding needed: every slot is in the text). */
function digestWindow(tokens: ArrayLike<number>, from: number, to: number, out: Int32Array): void {
  engines.digestContext(tokens, from, to, 0, out);
}
