/**
 * docs/SERVE.md's filter-validity table is its committed raw counts rendered
 * (docs/serve-filter-validity.json, from packages/serve/scripts/filter-validity.ts --write),
 * and the counts say what the page concludes: a window filter keeps human text at γ, a
 * (window, token) pair filter does not.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FILTER_VALIDITY_BEGIN, FILTER_VALIDITY_END, renderFilterValidity, type FilterValidity } from '../scripts/filter-validity-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const r = JSON.parse(readFileSync(`${ROOT}docs/serve-filter-validity.json`, 'utf8')) as FilterValidity;
const doc = readFileSync(`${ROOT}docs/SERVE.md`, 'utf8');

describe('docs/SERVE.md filter validity', () => {
  it('is the committed counts rendered', () => {
    const a = doc.indexOf(FILTER_VALIDITY_BEGIN) + FILTER_VALIDITY_BEGIN.length, b = doc.indexOf(FILTER_VALIDITY_END);
    expect(doc.slice(a, b)).toBe(`\n${renderFilterValidity(r)}\n`);
  });
  it('window-filtered human text stays at γ; pair-filtered does not', () => {
    expect(r.keys.length).toBeGreaterThanOrEqual(3);
    for (const k of r.keys) {
      for (const x of [k.all, k.window]) {
        const sd = Math.sqrt((r.gamma * (1 - r.gamma)) / x.tuples);
        expect(Math.abs(x.green / x.tuples - r.gamma)).toBeLessThan(4 * sd);
      }
      expect(k.pair.green / k.pair.tuples).toBeGreaterThan(r.gamma + 0.1);
      expect(k.window.tuples).toBe(k.pair.tuples + k.windowNotPair.tuples);
    }
  });
});
