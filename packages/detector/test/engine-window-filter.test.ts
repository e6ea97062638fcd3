/**
 * Window filters for engine specs: a position's window is the engine reader's context
 * digest (key-independent). windowMask with a reader selects exactly the keyed positions
 * whose digest is in the filter, the same under any key; RadioactivityRun and
 * SequentialMonitor take a filter with an engine spec and score only those positions, the
 * decoys on the same positions.
 */
import { describe, expect, it } from 'vitest';
import { createEngineReader, engines, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { RadioactivityRun, SequentialMonitor, windowHashesOf, WindowHashSet, windowMask } from '../src/index.js';

const VOCAB = 500;

function keyed(engine: Record<string, unknown>, seed: string): { spec: EngineSpec; key: EngineKey } {
  const rng = seededRng(seed);
  const draft = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
  const key = generateEngineKey(draft.engine, (n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256)));
  return { spec: parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: key.fingerprint }), key };
}

/** A vLLM Gumbel-marked sequence over a small vocabulary (a random bigram model). */
function marked(key: EngineKey, seed: string, n: number): number[] {
  const sampler = engines.createEngineSampler({ engine: 'vllm', algorithm: 'gumbel', key: key.secretValues()[0]! });
  const rng = seededRng(seed);
  const ids = Array.from({ length: VOCAB }, (_, i) => i + 1000);
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    const logits = Float64Array.from({ length: VOCAB }, () => 2 * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
    out.push(sampler.step({ ids, logits }, rng).token);
  }
  return out;
}

function plain(seed: string, n: number): number[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => 1000 + Math.floor(rng() * VOCAB));
}

describe('engine window filters in the detector', () => {
  const { spec, key } = keyed({ scheme: 'vllm/gumbel' }, 'det-filter/key');
  const decoys = Array.from({ length: 10 }, (_, i) => keyed({ scheme: 'vllm/gumbel' }, `det-filter/decoy/${i}`).key);
  const served = Array.from({ length: 10 }, (_, i) => marked(key, `det-filter/served/${i}`, 120));
  const unrelated = Array.from({ length: 10 }, (_, i) => plain(`det-filter/plain/${i}`, 120));
  const reader = createEngineReader(spec, key);
  const filter = WindowHashSet.fromU64(windowHashesOf(reader, served.map((tokens) => ({ promptTokens: [], tokens }))));

  it('windowMask(reader): keyed ∧ digest in the filter; the same mask under another key', () => {
    expect(filter.size).toBeGreaterThan(1000);
    const half = WindowHashSet.fromU64(windowHashesOf(reader, served.slice(0, 5).map((tokens) => ({ promptTokens: [], tokens }))));
    const tokens = served[7]!.slice(0, 60).concat(served[2]!.slice(0, 60));
    const r = reader.read(tokens);
    const mask = windowMask(reader, tokens, half);
    for (let i = 0; i < tokens.length; i++) expect(mask[i]).toBe(r.keyed[i] && half.has(r.ctxHi[i]! >>> 0, r.ctxLo[i]! >>> 0) ? 1 : 0);
    // the part copied from served[2] (in the filter) is selected from its 5th token on (its first
    // contexts straddle the join); the part from served[7] (not in the filter) nowhere past the
    // padded start contexts (-1, …, t0: shared by texts that begin alike)
    expect(reader.contextWidth).toBe(4);
    expect(mask[0]).toBe(1);
    expect(mask.slice(64).every((v) => v === 1)).toBe(true);
    expect(mask.slice(4, 60).reduce((a, b) => a + b, 0)).toBe(0);
    const decoyReader = createEngineReader({ ...spec, keyFingerprint: decoys[0]!.fingerprint }, decoys[0]!);
    expect(Array.from(windowMask(decoyReader, tokens, half))).toEqual(Array.from(mask));
  });

  it('RadioactivityRun: the filter keeps the served copies, drops the unrelated answers; decoys null-like', () => {
    const run = (filter?: WindowHashSet) => {
      const r = new RadioactivityRun({ spec, key, decoyKeys: decoys, alpha: 1e-6, ...(filter ? { filter, filterName: 'ledger' } : {}) });
      [...served, ...unrelated].forEach((tokens, i) => r.add({ id: `r${i}`, tokens }));
      return r.summary();
    };
    const unf = run();
    const sup = run(filter);
    expect(sup.filter).toEqual({ name: 'ledger', windows: filter.size });
    expect(sup.verdict).toBe('detected');
    expect(sup.accounting.unselected).toBeGreaterThan(1000);
    expect(sup.pooled.scored).toBeLessThan(unf.pooled.scored * 0.6);
    expect(sup.pooled.log10P).toBeLessThan(unf.pooled.log10P);
    expect(sup.decoys.significant).toBe(0);
    expect(sup.decoys.minLog10P!).toBeGreaterThan(-4);
    // unrelated text alone: the filter keeps at most the padded start contexts
    const ctl = new RadioactivityRun({ spec, key, decoyKeys: decoys, alpha: 1e-6, filter });
    unrelated.forEach((tokens, i) => ctl.add({ id: `c${i}`, tokens }));
    expect(ctl.summary().pooled.scored).toBeLessThanOrEqual(4 * unrelated.length);
  });

  it('SequentialMonitor takes the filter with an engine spec and scores only selected positions', () => {
    const all = new SequentialMonitor({ spec, key, alpha: 1e-6 });
    const some = new SequentialMonitor({ spec, key, alpha: 1e-6, filter });
    for (const tokens of [...unrelated, ...served]) {
      all.add({ tokens });
      some.add({ tokens });
    }
    expect(some.state().scored).toBeLessThan(all.state().scored * 0.6);
    expect(some.state().crossedAtResponse).not.toBeNull();
  });
});
