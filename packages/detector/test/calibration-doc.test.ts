/**
 * docs/CALIBRATION.md is what the committed raw results render to (docs/calibration-results.json,
 * written with it by `pnpm calibrate -- --write`): every number on the page can be traced to, and
 * re-made from, a committed file. The structural text forms of the payload row are checked too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderCalibrationDoc, structuredText, TEXT_FORMS, type CalibrationResults } from '../scripts/calibration-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('docs/CALIBRATION.md', () => {
  it('is the committed results rendered', () => {
    const results = JSON.parse(readFileSync(`${ROOT}docs/calibration-results.json`, 'utf8')) as CalibrationResults;
    expect(renderCalibrationDoc(results)).toBe(readFileSync(`${ROOT}docs/CALIBRATION.md`, 'utf8'));
    // every row passed its checks (the page would show **NO** otherwise)
    for (const row of results.rows) {
      for (const f of row.own.fpr) expect(f.valid, `${row.name} at α = ${f.alpha}`).toBe(true);
      expect(row.rand.ks.pValue, `${row.name} KS`).toBeGreaterThan(1e-3);
    }
    const payload = results.rows.find((r) => r.payload)!;
    expect(payload.tests).toBeGreaterThanOrEqual(1_000_000);
    expect(Math.min(...payload.alphas)).toBeLessThanOrEqual(1e-6);
  });
});

describe('structured text forms', () => {
  const text = 'First line of the letter.\nSecond line, with more words in it.\nThird line closes.\nFourth.';
  it('keep every word and add e-mail-like repetition', () => {
    const words = (t: string) => new Set(t.split(/[\s|>]+/).filter((w) => /\w/.test(w)));
    for (const f of TEXT_FORMS) for (const w of words(text)) expect(words(structuredText(text, f)).has(w), `${f}: ${w}`).toBe(true);
    expect(structuredText(text, 'plain')).toBe(text);
    expect(structuredText(text, 'repeated lines').split('\n')).toEqual(['First line of the letter.', 'Second line, with more words in it.', 'Third line closes.', 'First line of the letter.', 'Fourth.']);
    expect(structuredText(text, 'quoted reply')).toMatch(/\n> First line of the letter\.\n> Second line/);
    expect(structuredText(text, 'table').split('\n')[0]).toBe('| item | note | value | unit | source | remark |');
  });
});
