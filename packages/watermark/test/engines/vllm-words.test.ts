// The vLLM words memo (vllm-words.ts): a remembered reading is returned only for the same
// PRF, key, width and tokens, and the caller may change what it gets without harm.
import { describe, expect, it } from 'vitest';
import { vllmTextWords, vllmWordFn, type VllmReaderOptions } from '../../src/engines/vllm.js';
import { forgetVllmWords } from '../../src/engines/vllm-words.js';
import { seededRng } from '../../src/index.js';

const rng = seededRng('vllm-words');
const text = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rng() * 32000));

function reference(tokens: number[], o: VllmReaderOptions): number[] {
  const w = o.contextWidth ?? 4;
  const word = vllmWordFn(o.prf ?? 'philox', o.key);
  return tokens.map((t, i) => word(Array.from({ length: w }, (_, j) => (i - w + j < 0 ? -1 : tokens[i - w + j]!)), t));
}

describe('vLLM words memo', () => {
  it('answers every variation of PRF, key, width and tokens with its own words', () => {
    forgetVllmWords();
    const toks = text(120);
    const changed = [...toks];
    changed[60] = (changed[60]! + 1) % 32000;
    const cases: [number[], VllmReaderOptions][] = [
      [toks, { key: 42n }],
      [toks, { key: 43n }],
      [toks, { key: 42n, contextWidth: 3 }],
      [toks, { key: 42n, prf: 'philox_legacy' }],
      [toks, { key: 42n, prf: 'hmac_sha256' }],
      [toks, { key: 43n, prf: 'hmac_sha256' }],
      [changed, { key: 42n }],
      [toks.slice(0, 119), { key: 42n }],
    ];
    const check = ([t, o]: [number[], VllmReaderOptions]) => expect(Array.from(vllmTextWords(t, o).words), `${o.prf} ${o.key} ${o.contextWidth} ${t.length}`).toEqual(reference(t, o));
    // each case twice in a row (the second from the memo), then the last four again (still remembered)
    for (const c of cases) (check(c), check(c));
    for (const c of cases.slice(-4).reverse()) check(c);
  });
  it('hands out a copy: changing it does not change the next answer', () => {
    const toks = text(50);
    const first = vllmTextWords(toks, { key: 7n }).words;
    const keep = Array.from(first);
    first.fill(0);
    expect(Array.from(vllmTextWords(toks, { key: 7n }).words)).toEqual(keep);
  });
});
