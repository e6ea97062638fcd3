/**
 * docs/RADIOACTIVITY.md §4d (neural students) is the committed results rendered
 * (docs/neural-students-results.json, from packages/investigate/scripts/neural-students.ts --write),
 * and the results say what the page concludes: no decoy key is significant, no student that
 * never saw a watermarked token (human-only ρ = 0, the unwatermarked-teacher control) is
 * detected, and the frontier the page states is the one the numbers give.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closedP, frontier, NEURAL_BEGIN, NEURAL_END, openP, renderNeural, type NeuralResults } from '../scripts/neural/results-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const r = JSON.parse(readFileSync(`${ROOT}docs/neural-students-results.json`, 'utf8')) as NeuralResults;
const doc = readFileSync(`${ROOT}docs/RADIOACTIVITY.md`, 'utf8');

describe('docs/RADIOACTIVITY.md §4d (neural students)', () => {
  it('is the committed results rendered', () => {
    const a = doc.indexOf(NEURAL_BEGIN), b = doc.indexOf(NEURAL_END);
    expect(a).toBeGreaterThan(0);
    expect(doc.slice(a + NEURAL_BEGIN.length, b)).toBe(`\n${renderNeural(r)}\n`);
  });
  it('flags no decoy and no student that never saw a watermarked token', () => {
    for (const s of r.students) {
      const innocent = s.rho === 0 || s.teacher === 'unwatermarked';
      for (const c of [...s.open, ...(s.openCli ?? []), ...s.closed]) {
        expect(c.decoysSignificant).toBe(0);
        if (innocent) expect(c.log10P).toBeGreaterThan(-6);
      }
      for (const c of s.closed) {
        if (!c.logprob) continue;
        expect(c.logprob.decoysSignificant).toBe(0);
        if (innocent) expect(c.logprob.log10P).toBeGreaterThan(-6);
      }
    }
  });
  it('states the frontier the results give', () => {
    const sup = frontier(r, -9, openP('supervised'));
    expect(doc).toContain(`open-model supervised ${sup === null ? 'none' : `ρ = ${sup}`} at p ≤ 1e-9`);
    const closed = frontier(r, -6, closedP);
    expect(doc).toContain(`closed-model sampled (queries run) ${frontier(r, -9, closedP) === null ? 'none' : `ρ = ${frontier(r, -9, closedP)}`} / ${closed === null ? 'none' : `ρ = ${closed}`}`);
  });
  it('records a tokenizer identical to the teacher\'s and students within the CPU budget', () => {
    expect(r.tokenizerCheck.encodeMismatches).toBe(0);
    expect(r.tokenizerCheck.decodeMismatches).toBe(0);
    // CPU seconds where recorded (a training process paused by SIGSTOP keeps its wall clock running)
    for (const s of r.students) expect(s.metrics.cpuSeconds ?? s.metrics.trainSeconds).toBeLessThanOrEqual(600);
  });
});
