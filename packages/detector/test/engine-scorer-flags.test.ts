// EngineScorer's rules on top of an engine reading, position by position, against a plain
// re-statement of them (string sets, no typed arrays): no context, special token, excluded
// context, duplicate (PRF input, token), scored; the sum in text order; the tuples.
import { describe, expect, it } from 'vitest';
import { generateEngineKey, parseEngineSpec, seededRng, type EngineSpecInput } from '@tracemark/watermark';
import { EngineScorer } from '../src/index.js';
import { FLAG_DUPLICATE, FLAG_EXCLUDED, FLAG_NO_CONTEXT, FLAG_SCORED, FLAG_SPECIAL } from '../src/scorer.js';

const rng = seededRng('engine-scorer-flags');

function scorerFor(engine: EngineSpecInput['engine']): EngineScorer {
  const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
  const key = generateEngineKey(spec0.engine);
  return new EngineScorer({ ...spec0, keyFingerprint: key.fingerprint }, key);
}

describe('EngineScorer flags, counts, sum and tuples', () => {
  it.each([
    [{ scheme: 'vllm/gumbel' }],
    [{ scheme: 'sglang/gumbel' }],
    [{ scheme: 'hf/synthid', depth: 8, skipFirstNgramCalls: true }],
    [{ scheme: 'vllm/sbw' }],
  ] as EngineSpecInput['engine'][][])('%o', (engine) => {
    const sc = scorerFor(engine);
    const specials = [7, 9];
    sc.setSpecialTokens(specials);
    // a small vocabulary repeats contexts and (context, token) pairs; a copied stretch repeats whole windows
    const toks = Array.from({ length: 400 }, () => Math.floor(rng() * 12));
    toks.push(...toks.slice(50, 120));
    const given = [toks.slice(200, 230)];
    const ex = sc.exclusionSet(given);
    const out = sc.score(toks, { perToken: true, tuples: true, exclude: ex });

    const r = sc.reader.read(toks);
    const w = sc.reader.contextWidth;
    const excludedCtx = new Set<string>();
    for (const g of given) for (let end = w; end <= g.length; end++) excludedCtx.add(g.slice(end - w, end).join(','));
    const seen = new Set<string>();
    let sum = 0;
    const tuples: number[][] = [];
    toks.forEach((tok, i) => {
      let f: number;
      if (!r.keyed[i]) f = FLAG_NO_CONTEXT;
      else if (specials.includes(tok)) f = FLAG_SPECIAL;
      else if (i >= w && excludedCtx.has(toks.slice(i - w, i).join(','))) f = FLAG_EXCLUDED;
      else if (seen.has(`${r.idHi[i]},${r.idLo[i]},${tok}`)) f = FLAG_DUPLICATE;
      else {
        seen.add(`${r.idHi[i]},${r.idLo[i]},${tok}`);
        f = FLAG_SCORED;
        sum += r.score[i]!;
        tuples.push([r.idHi[i]!, r.idLo[i]!, tok, r.score[i]!]);
      }
      expect(out.flags![i], `flag @${i}`).toBe(f);
      expect(out.scores![i]).toBe(f === FLAG_SCORED ? r.score[i] : NaN);
    });
    const count = (f: number) => toks.filter((_, i) => out.flags![i] === f).length;
    expect([out.scored, out.duplicates, out.excluded, out.noContext, out.special]).toEqual([count(0), count(1), count(2), count(3), count(4)]);
    expect(out.duplicates).toBeGreaterThan(0);
    expect(out.excluded).toBeGreaterThan(0);
    expect(out.special).toBeGreaterThan(0);
    expect(out.sum).toBe(sum);
    const tu = out.tuples!;
    expect(Array.from({ length: tu.count }, (_, c) => [tu.hi[c], tu.lo[c], tu.token[c], tu.score[c]])).toEqual(tuples);
  });
});
