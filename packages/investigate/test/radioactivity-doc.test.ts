/**
 * docs/RADIOACTIVITY.md's generated section is what the committed raw results render to
 * (docs/radioactivity-results.json, written by packages/investigate/scripts/radioactivity.ts
 * --write): every number in the document can be traced to, and re-made from, a committed file.
 * After a wording change: `… radioactivity.ts --from docs/radioactivity-results.json --write`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderRadioactivityDoc, resultsJson, spliceResultsSection, type RadioactivityResults } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(`${ROOT}docs/RADIOACTIVITY.md`, 'utf8');
const raw = readFileSync(`${ROOT}docs/radioactivity-results.json`, 'utf8');
const results = JSON.parse(raw) as RadioactivityResults;

describe('docs/RADIOACTIVITY.md', () => {
  it('its results section is the committed results, rendered', () => {
    expect(spliceResultsSection(doc, renderRadioactivityDoc(results), 'docs/RADIOACTIVITY.md')).toBe(doc);
  });
  it('the committed results file is in its canonical form (rounded, as --write writes it)', () => {
    expect(resultsJson(results)).toBe(raw);
  });
  it('bold marks significance as the verdict counts it (Bonferroni over the 3 variants in table 2)', () => {
    const table2 = doc.slice(doc.indexOf('### 2. Filters'), doc.indexOf('### 3.'));
    for (const m of table2.matchAll(/\*\*(-\d+\.\d)\*\*/g)) expect(Number(m[1]) + Math.log10(3)).toBeLessThanOrEqual(-6 + 0.05);
    // a value between -6 - log10 3 and -6 is not bold there
    expect(table2).toMatch(/(?<!\*)-6\.1(?!\*)/);
  });
});
