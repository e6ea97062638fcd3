/**
 * docs/RADIOACTIVITY.md §4c's table is the committed power run rendered
 * (docs/logprob-power-results.json, from packages/investigate/scripts/logprob-power.ts --write),
 * and it says what the page concludes: no decoy and no human-only student (ρ = 0) is
 * significant, and the clone (ρ = 1) is detected by the logprob test from the first checkpoint.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOGPROB_POWER_BEGIN, LOGPROB_POWER_END, renderLogprobPower, type LogprobPowerResults } from '../scripts/logprob-power-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const r = JSON.parse(readFileSync(`${ROOT}docs/logprob-power-results.json`, 'utf8')) as LogprobPowerResults;
const doc = readFileSync(`${ROOT}docs/RADIOACTIVITY.md`, 'utf8');

describe('docs/RADIOACTIVITY.md §4c', () => {
  it('is the committed power run rendered', () => {
    const a = doc.indexOf(LOGPROB_POWER_BEGIN) + LOGPROB_POWER_BEGIN.length, b = doc.indexOf(LOGPROB_POWER_END);
    expect(doc.slice(a, b)).toBe(`\n${renderLogprobPower(r)}\n`);
  });
  it('no decoy and no ρ = 0 student is significant; the ρ = 1 clone is detected by the logprob test at every checkpoint', () => {
    expect(r.cells.length).toBeGreaterThan(0);
    for (const c of r.cells) {
      for (const t of [...c.sampled, ...c.logprob]) expect(t.test.decoysSignificant).toBe(0);
      if (c.rho === 0) {
        for (const t of [...c.sampled, ...c.logprob]) expect(t.test.log10P).toBeGreaterThan(-3);
        expect(c.combinedLog10P).toBeGreaterThan(-3);
      }
      if (c.rho === 1) for (const l of c.logprob) expect(l.test.log10P).toBeLessThanOrEqual(-6);
    }
  });
});
