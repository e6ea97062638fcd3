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
    // one tight pass over the reading's typed arrays: counts in locals, no per-position closures or objects
    const { keyed, idHi, idLo, ctxHi, ctxLo, score } = r;
    const flags = out.flags, scores = out.scores;
    const specials = this.#specials, minSpecial = this.#minSpecial;
    let sum = 0, scored = 0, duplicates = 0, excluded = 0, noContext = 0, special = 0;
    for (let i = 0; i < n; i++) {
      let f: TokenFlag;
      const tok = tokens[i]!;
      if (keyed[i] === 0) (f = FLAG_NO_CONTEXT), noContext++;
      else if (tok >= minSpecial && specials.has(tok)) (f = FLAG_SPECIAL), special++;
      else if (excl !== undefined && excl.has(ctxHi[i]!, ctxLo[i]!, 0)) (f = FLAG_EXCLUDED), excluded++;
      else if (dedup && set.add(idHi[i]!, idLo[i]!, tok) === PRESENT) (f = FLAG_DUPLICATE), duplicates++;
      else {
        const v = score[i]!;
        sum += v; // in text order, as the native scorer sums
        if (scores) scores[i] = v;
        if (t) {
          t.hi[scored] = idHi[i]!;
          t.lo[scored] = idLo[i]!;
          t.token[scored] = tok;
          t.score[scored] = v;
        }
        scored++;
        continue;
      }
      if (flags) flags[i] = f;
    }
    out.scored = scored;
    out.duplicates = duplicates;
    out.excluded = excluded;
    out.noContext = noContext;
    out.special = special;
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
