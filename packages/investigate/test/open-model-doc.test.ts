/**
 * docs/RADIOACTIVITY.md §4b's tables are the committed sweep results rendered
 * (docs/open-model-results.json, from packages/investigate/scripts/open-model-sweep.ts --write),
 * and they say what the page concludes: every ρ ≥ 0.1 student is detected on the served
 * texts, no human-only student and no decoy is.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPEN_MODEL_BEGIN, OPEN_MODEL_END, renderOpenModel, type OpenModelResults } from '../scripts/open-model-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const r = JSON.parse(readFileSync(`${ROOT}docs/open-model-results.json`, 'utf8')) as OpenModelResults;
const doc = readFileSync(`${ROOT}docs/RADIOACTIVITY.md`, 'utf8');

describe('docs/RADIOACTIVITY.md §4b', () => {
  it('is the committed sweep rendered', () => {
    const a = doc.indexOf(OPEN_MODEL_BEGIN) + OPEN_MODEL_BEGIN.length, b = doc.indexOf(OPEN_MODEL_END);
    expect(doc.slice(a, b)).toBe(`\n${renderOpenModel(r)}\n`);
  });
  it('detects ρ ≥ 0.1 on served texts, never a human-only student or a decoy', () => {
    for (const c of r.cells) {
      expect(c.decoysSignificant).toBe(0);
      if (c.rho === 0) expect(c.log10P).toBeGreaterThan(-3);
      if (c.rho >= 0.1 && c.variant === 'supervised') expect(c.log10P).toBeLessThanOrEqual(-6);
    }
  });
});
