// docs/SPEC.md §7 must be enough to reproduce tracemark's detection counts and p-values from
// token ids: test/reference/detect_ref.py, written from the SPEC alone (exact rationals for
// the probabilities), must agree with Detector.detectTokens on seeded texts that exercise
// every rule — no-context, special ids, exclusion by window seed (min/self) and by token
// (unigram) before deduplication, duplicates, N = 0, payload decoding and its exact p-value.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Detector } from '@tracemark/detector';
import { parseSpec, toHex, Watermark, WatermarkKey, type WatermarkSpecInput } from '@tracemark/watermark';
import { rng } from './xorshift.js';

const here = dirname(fileURLToPath(import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;
if (!python && process.env.TRACEMARK_CI) throw new Error('python3 is required in CI (TRACEMARK_CI is set)');
if (!python) console.warn('\n*** SKIPPED: python3 not found, the detection reference check did not run ***\n');

interface Case {
  label: string;
  spec: Omit<WatermarkSpecInput, 'version' | 'keyFingerprint'>;
  length: number;
  vocab: number;
  exclude?: number[]; // lengths of exclusion texts
  specialsAt?: number[];
  /** kgw: draw each token up to 4 times until it is green (a watermarked text, p far in the tail). */
  biased?: boolean;
}

const O200K_SPECIALS = [199999, 200018];

const CASES: Case[] = [
  { label: 'kgw left h2 + specials', spec: { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'left' } }, length: 160, vocab: 40, exclude: [30], specialsAt: [5, 6, 90] },
  { label: 'kgw min h3', spec: { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 3, mode: 'min' } }, length: 160, vocab: 30, exclude: [20] },
  { label: 'kgw self h3 gamma 0.3', spec: { scheme: { name: 'kgw', gamma: 0.3, delta: 2 }, context: { width: 3, mode: 'self' } }, length: 160, vocab: 30, exclude: [25] },
  { label: 'unigram', spec: { scheme: { name: 'unigram', gamma: 0.25, delta: 2 } }, length: 150, vocab: 60, exclude: [15] },
  { label: 'gumbel left h1', spec: { scheme: { name: 'gumbel' }, context: { width: 1, mode: 'left' } }, length: 150, vocab: 50 },
  { label: 'gumbel self h2', spec: { scheme: { name: 'gumbel' }, context: { width: 2, mode: 'self' } }, length: 150, vocab: 40, exclude: [30] },
  { label: 'synthid min h2', spec: { scheme: { name: 'synthid', layers: 30 }, context: { width: 2, mode: 'min' } }, length: 120, vocab: 40, exclude: [20] },
  { label: 'payload 16/2 left h1', spec: { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 16, digitBits: 2 } }, length: 120, vocab: 400 },
  { label: 'payload 16/1 self h2', spec: { scheme: { name: 'kgw', gamma: 0.2, delta: 2 }, context: { width: 2, mode: 'self' }, payload: { bits: 16, digitBits: 1 } }, length: 100, vocab: 60, exclude: [20] },
  { label: 'kgw min h2 watermarked', spec: { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'min' } }, length: 400, vocab: 300, exclude: [40], biased: true },
  { label: 'N = 0 (all no-context)', spec: { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 3, mode: 'left' } }, length: 3, vocab: 100 },
  { label: 'payload, N = 0', spec: { scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 16, digitBits: 2 } }, length: 1, vocab: 100 },
];

describe.skipIf(!python)('detection reference (test/reference/detect_ref.py) from docs/SPEC.md §7', () => {
  it('counts, score sums, decoded ids and p-values agree with Detector.detectTokens', () => {
    const next = rng(17);
    const built = CASES.map((c) => {
      const keyBytes = Uint8Array.from({ length: 32 }, () => next() & 0xff);
      const key = new WatermarkKey(keyBytes);
      const spec = parseSpec({ version: 1, ...c.spec, keyFingerprint: key.fingerprint });
      const tokens = Array.from({ length: c.length }, () => next() % c.vocab);
      if (c.biased) {
        const wm = new Watermark(spec, key), w = { hi: 0, lo: 0 };
        for (let i = wm.contextWidth; i < c.length; i++) {
          wm.windowSeed(tokens, i, w);
          for (let k = 0; k < 3 && !wm.isGreen(w, tokens[i]!); k++) tokens[i] = next() % c.vocab;
        }
      }
      if (c.length > 60) for (let j = 0; j < 30; j++) tokens[c.length - 30 + j] = tokens[10 + j]!; // a repeated passage
      for (const i of c.specialsAt ?? []) tokens[i] = O200K_SPECIALS[i % 2]!;
      const exclude = (c.exclude ?? []).map((n) => Array.from({ length: n }, () => next() % c.vocab));
      return { c, key, spec, tokens, exclude, keyHex: toHex(keyBytes) };
    });
    const req = { cases: built.map((b) => ({ spec: b.spec, key: b.keyHex, tokens: b.tokens, exclude: b.exclude, specials: O200K_SPECIALS })) };
    const ref = JSON.parse(execFileSync('python3', [join(here, 'detect_ref.py')], { input: JSON.stringify(req), encoding: 'utf8' }));
    built.forEach((b, i) => {
      const at = b.c.label;
      const r = ref[i];
      const d = new Detector(b.spec, b.key);
      const res = d.detectTokens(b.tokens, b.exclude.length ? { exclude: b.exclude } : {});
      expect({ scored: res.scored, duplicates: res.duplicates, excluded: res.excluded, noContext: res.noContext, special: res.special }, at).toEqual({
        scored: r.scored,
        duplicates: r.duplicates,
        excluded: r.excluded,
        noContext: r.noContext,
        special: r.special,
      });
      if (b.c.exclude && b.c.length > 10) expect(r.excluded, `${at}: the case exercises exclusion`).toBeGreaterThan(0);
      if (b.c.length > 60) expect(r.duplicates, `${at}: the case exercises dedup`).toBeGreaterThan(0);
      if (b.c.specialsAt) expect(r.special, at).toBe(b.c.specialsAt.length);
      if (res.payload) {
        expect(res.payload.message, at).toBe(r.message);
        expect(res.payload.matched, at).toBe(r.matched);
        expect(res.payload.method, at).toBe('exact');
      } else if (b.spec.scheme.name === 'gumbel') {
        expect(Math.abs(res.score - r.sum) / r.sum, at).toBeLessThan(1e-14);
      } else expect(res.score, at).toBe(r.sum);
      if (r.lnP === 0) expect(res.lnP, at).toBe(0);
      else expect(Math.abs(res.lnP - r.lnP) / Math.abs(r.lnP), `${at}: ln p ${res.lnP} vs ${r.lnP}`).toBeLessThan(1e-9);
      d.dispose();
    });
    // N = 0 gives p = 1, and the payload decodes to id 0
    expect(ref[9].lnP).toBeLessThan(-40); // the watermarked case is far in the tail
    expect(ref[10]).toMatchObject({ scored: 0, lnP: 0 }); // N = 0
    expect(ref[11]).toMatchObject({ scored: 0, lnP: 0, message: '0', matched: 0 });
  });
});
