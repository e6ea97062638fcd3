/**
 * Radioactivity: a student distilled from watermarked responses carries the
 * watermark in its own fresh, unwatermarked outputs; an innocent student trained
 * on the same amount of human text does not. Detection is the detector's corpus
 * scan: (window, token) tuples deduplicated across all outputs, windows of the
 * student's prompts excluded, one exact pooled test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Detector, scanCorpus } from '@tracemark/detector';
import { Embedder, Watermark } from '@tracemark/watermark';
import { humanText, promptSet } from '@tracemark/corpora';
import { distil, encode, generateTextSync, harvest, referenceModel, type LanguageModel } from '@tracemark/lm';
import { KEY, spec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-clone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const teacher = referenceModel();
// h = 1 KGW: the student's bigram statistics inherit the green-list bias.
const S = spec({ name: 'kgw', gamma: 0.25, delta: 2 });
const human = humanText({ split: 'train' }).map((d) => d.text);

// ~50k harvested tokens from 3 accounts.
const harvested = harvest({ teacher, spec: S, key: KEY, prompts: promptSet(300, 11), maxTokens: 200, seed: 5, accounts: 3 });

/** The student's fresh outputs for new prompts, scanned as a corpus with the teacher's key. */
async function scanStudent(student: LanguageModel, name: string) {
  const prompts = promptSet(120, 99);
  const outputs = prompts.map((prompt, i) => generateTextSync({ model: student, prompt, maxTokens: 200, seed: i }));
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, outputs.map((o) => JSON.stringify({ text: o.text })).join('\n') + '\n');
  const summary = await scanCorpus({ spec: S, key: KEY }, [file], { exclude: prompts });
  console.log(`${name}: ${summary.pooled.scored} pooled tuples, green ${summary.pooled.score}, log10 p = ${summary.pooled.log10P.toFixed(2)}`);
  return { summary, tokens: outputs.reduce((a, o) => a + o.tokens.length, 0) };
}

describe('harvest', () => {
  it('spreads responses over accounts round-robin, each watermarked', () => {
    expect(harvested).toHaveLength(300);
    expect(harvested.map((h) => h.account).slice(0, 6)).toEqual([1, 2, 3, 1, 2, 3]);
    const tokens = harvested.reduce((a, h) => a + h.tokens.length, 0);
    expect(tokens).toBeGreaterThan(30_000);
    for (const h of harvested) expect(h.watermarkedSteps).toBe(h.tokens.length);
    // Each response on its own is (weakly) detectable; together they are overwhelming.
    const d = new Detector(S, KEY);
    const r = d.detect(harvested.map((h) => h.text).join('\n\n'), { exclude: harvested.map((h) => h.promptTokens) });
    expect(r.log10P).toBeLessThan(-100);
  });

  it('uses the account id as payload when the spec has one', () => {
    const P = spec({ name: 'kgw', gamma: 0.25, delta: 2 }, { payload: { bits: 16, digitBits: 2 } });
    const responses = harvest({ teacher, spec: P, key: KEY, prompts: promptSet(6, 3), maxTokens: 150, seed: 1, accounts: [4242, 777] });
    const d = new Detector(P, KEY);
    for (const account of [4242, 777]) {
      const mine = responses.filter((r) => r.account === account);
      const r = d.detect(mine.map((m) => m.text).join('\n\n'), { exclude: mine.map((m) => m.promptTokens) });
      expect(r.payload?.message).toBe(String(account));
    }
  });

  it('accepts a custom embedder per account and rejects bad options', () => {
    const wm = new Watermark(S, KEY);
    const seen: number[] = [];
    const r = harvest({
      teacher,
      embedderForAccount: (a) => (seen.push(a), a === 2 ? undefined : new Embedder(wm)),
      prompts: ['The jury said', 'It was'],
      responsesPerPrompt: 2,
      accounts: 2,
      maxTokens: 20,
      seed: 1,
    });
    expect(seen).toEqual([1, 2, 1, 2]);
    expect(r.filter((x) => x.account === 2).every((x) => x.watermarkedSteps === 0)).toBe(true);
    expect(() => harvest({ teacher, prompts: ['x'], maxTokens: 5, seed: 1 })).toThrow(/give embedderForAccount, or spec and key/);
    expect(() => harvest({ teacher, spec: S, key: KEY, prompts: [], maxTokens: 5, seed: 1 })).toThrow(/non-empty array/);
    expect(() => harvest({ teacher, spec: S, key: KEY, prompts: ['x'], accounts: 0, maxTokens: 5, seed: 1 })).toThrow(/accounts must be/);
  });
});

describe('distil', () => {
  it('ρ = 1: the clone’s own outputs carry the watermark (p < 1e-6)', async () => {
    const student = distil({ harvested, humanText: human, rho: 1, seed: 3 });
    expect(student.humanTokens).toBe(0);
    const { summary, tokens } = await scanStudent(student.model, 'rho1');
    expect(tokens).toBeGreaterThan(5000);
    expect(summary.pooled.scored).toBeLessThanOrEqual(100_000);
    expect(summary.pooled.dedup).toBe('global');
    expect(summary.pooled.log10P).toBeLessThan(-6);
  });

  it('ρ = 0: the innocent control trained on as much human text does not (p > 1e-3)', async () => {
    const student = distil({ harvested, humanText: human, rho: 0, seed: 3 });
    expect(student.harvestedTokens).toBe(0);
    // As many training tokens as the ρ = 1 student had: every harvested prompt + response.
    expect(student.humanTokens).toBe(harvested.reduce((a, h) => a + encode('o200k_base', h.prompt + h.text).length, 0));
    const { summary } = await scanStudent(student.model, 'rho0');
    expect(summary.pooled.scored).toBeGreaterThan(3000);
    expect(summary.pooled.log10P).toBeGreaterThan(-3);
  });

  it('keeps the amount of training text fixed across ρ and validates its inputs', () => {
    const half = distil({ harvested, humanText: human, rho: 0.5, seed: 3, trainingTokens: 10_000 });
    expect(half.harvestedTokens).toBe(5000);
    expect(half.humanTokens).toBe(5000);
    expect(() => distil({ harvested, humanText: human, rho: 1.5, seed: 1 })).toThrow(/rho must be in \[0, 1\]/);
    expect(() => distil({ harvested, humanText: human, rho: 1, seed: 1, trainingTokens: 10_000_000 })).toThrow(/only \d+ harvested tokens exist/);
    expect(() => distil({ harvested, humanText: ['too short'], rho: 0, seed: 1 })).toThrow(/needs \d+ human tokens but humanText has only \d+/);
  });
});
