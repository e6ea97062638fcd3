/**
 * The report's decoy KS check follows the radioactivity test's rule: decoys with no scored
 * tuple (p = 1 by construction, not a draw from U(0, 1)) are left out, and there is no KS
 * test when fewer than 2 remain. A suspect that only repeats its prompts (every window
 * excluded) has no scored tuple: no KS test, and no "not uniform" alarm in the report.
 * One threshold (DECOY_KS_THRESHOLD) decides "not uniform" in the radioactivity test and
 * in the report, and the report's method text states it.
 */
import { describe, expect, it } from 'vitest';
import { decoySummary, DECOY_KS_THRESHOLD, ksUniform } from '@tracemark/detector';
import { generateKey, parseSpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { renderHtml, renderMarkdown, scoreEvidence, type EvidenceOptions, type SuspectInput } from '../src/index.js';
import type { ReportMeta } from '../src/report/html.js';

const key: WatermarkKey = generateKey();
const spec: WatermarkSpec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: null, keyFingerprint: key.fingerprint });
const opts: EvidenceOptions = { alpha: 1e-6, decoys: 8, decoySeed: 'cd'.repeat(32), heatmap: 1, heatmapTokens: 200 };
const meta: ReportMeta = { title: 'T', created: '2026-01-01T00:00:00Z', spec, specSummary: 'kgw', signerPublicKey: '00'.repeat(32), tool: 'test' };
const texts = [
  'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.',
  'Rain fell steadily through the night, and by morning the river had risen above its banks.',
  'She opened the letter slowly, reading each line twice before she understood what it meant.',
  'Farmers in the valley planted corn early this spring because the frost ended weeks ahead of schedule.',
];

function suspect(name: string, echo: boolean): SuspectInput {
  return {
    name,
    transcript: `transcripts/${name}.jsonl`,
    transcriptSha256: '00'.repeat(32),
    records: texts.map((t, i) => {
      const prompt = echo ? t : `prompt ${i}`;
      return { promptId: `q${i}`, prompt, given: [prompt], response: t, line: i + 1 };
    }),
  };
}

describe('decoy KS check in the evidence report', () => {
  it('leaves out decoys with no scored tuple: a suspect with nothing scored gets no KS test and no uniformity alarm', () => {
    const scores = scoreEvidence(spec, key, 'spec-id', [suspect('echo', true), suspect('plain', false)], opts);
    const [echo, plain] = scores.suspects;
    // the echoing suspect: every window is in its prompt, nothing scored under any key
    expect(echo!.pooled.scored).toBe(0);
    expect(echo!.decoys).toHaveLength(8);
    for (const d of echo!.decoys) expect(d).toMatchObject({ scored: 0, lnP: 0 });
    expect(echo!.decoyKs).toBeNull(); // before: KS over eight p = 1 values, D = 1, p ≈ 0
    // the other suspect: every decoy scored, all of them in the KS test
    expect(plain!.pooled.scored).toBeGreaterThan(0);
    expect(plain!.decoyKs).not.toBeNull();
    expect(plain!.decoyKs!.n).toBe(8);

    const html = renderHtml(scores, meta);
    const md = renderMarkdown(scores, meta);
    for (const text of [html, md]) {
      expect(text).not.toMatch(/NOT consistent with uniform|not uniform/i);
      expect(text).toContain('No uniformity test: it needs at least 2 decoy keys with a scored token, and 0 of the 8 have one (decoy keys with no scored token have p = 1 by construction and are left out).');
      expect(text).toContain('Decoy keys with no scored token (p = 1 by construction, not a draw from a uniform distribution) are left out of that test; with fewer than 2 left there is no test.');
    }
    // the note is only for suspects with decoys left out: once in each report (the echoing suspect)
    expect(md.split('No uniformity test').length - 1).toBe(1);
    expect(html.split('No uniformity test').length - 1).toBe(1);
  });
});

/** n p-values squeezed into [0, c]: the KS p-value falls as c falls. */
function squeezed(c: number, n = 20): number[] {
  return Array.from({ length: n }, (_, i) => ((i + 0.5) / n) * c);
}

/** The largest c (to 1e-9) whose squeezed samples have KS p below `t`. */
function straddle(t: number): { below: number[]; above: number[] } {
  let lo = 0.01;
  let hi = 1;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (ksUniform(squeezed(mid)).pValue < t) lo = mid;
    else hi = mid;
  }
  return { below: squeezed(lo), above: squeezed(hi) };
}

describe('decoy KS threshold', () => {
  it('is one constant: radioactivity and the report call the same KS p-values uniform, and the report states it', () => {
    expect(DECOY_KS_THRESHOLD).toBe(1e-3);
    const scores = scoreEvidence(spec, key, 'spec-id', [suspect('plain', false)], opts);
    const { below, above } = straddle(DECOY_KS_THRESHOLD);
    // p-values between the old report threshold (0.01) and the constant are called uniform by both
    for (const [samples, uniform] of [[below, false], [above, true], [squeezed(0.6), true]] as const) {
      const ks = ksUniform(samples);
      expect(ks.pValue < DECOY_KS_THRESHOLD).toBe(!uniform);
      const summary = decoySummary(samples.map(Math.log), Math.log(1e-6), samples);
      expect(summary.ks!.pValue).toBe(ks.pValue);
      expect(summary.uniform).toBe(uniform);
      const s = scores.suspects[0]!;
      const html = renderHtml({ ...scores, suspects: [{ ...s, decoyKs: { n: ks.n, statistic: ks.statistic, pValue: ks.pValue, method: ks.method } }] }, meta);
      expect(html.includes('consistent with uniform, as it should be')).toBe(uniform);
      expect(html.includes('NOT consistent with uniform')).toBe(!uniform);
    }
    expect(ksUniform(squeezed(0.6)).pValue).toBeLessThan(0.01); // the case the two thresholds disagreed on
    expect(ksUniform(squeezed(0.6)).pValue).toBeGreaterThanOrEqual(DECOY_KS_THRESHOLD);
    const md = renderMarkdown(scores, meta);
    expect(md).toContain('a KS p-value below 0.001 fails the check.');
  });
});
