/**
 * The investigation functions behind `tracemark plan`, `radioactivity` and `attribute`,
 * called as a library: the null model uses the γ the scorer really applies; plans
 * shrink as the effect grows; the radioactivity test of an innocent transcript is
 * not significant and records its controls; misuse fails with one-line usage errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, parseSpec, WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { attributeLeakedTexts, investigateRadioactivity, planAssumed, planFromPilot, planNullModel } from '../src/index.js';

const key = generateKey();
const spec = (scheme: Record<string, unknown>, payload: unknown = null): WatermarkSpec =>
  parseSpec({ version: 1, tokenizer: 'o200k_base', scheme, context: { width: 1, mode: 'left' }, payload, keyFingerprint: key.fingerprint } as never);
const kgw = spec({ name: 'kgw', gamma: 0.3, delta: 2 });
let dir: string;
let transcript: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-investigation-'));
  transcript = join(dir, 'human.jsonl');
  const texts = [
    'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.',
    'Rain fell steadily through the night, and by morning the river had risen above its banks.',
    'She opened the letter slowly, reading each line twice before she understood what it meant.',
    'Farmers in the valley planted corn early this spring because the frost ended weeks ahead of schedule.',
  ];
  writeFileSync(transcript, texts.map((text, i) => JSON.stringify({ id: `q${i}`, prompt: `Tell me something, ${i}`, text })).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plan', () => {
  it('the null model is the γ the threshold really gives, the tournament, or Gamma', () => {
    expect(planNullModel(kgw)).toEqual({ kind: 'binomial', trialsPerToken: 1, p: Math.floor(0.3 * 2 ** 32) / 2 ** 32 });
    expect(planNullModel(spec({ name: 'synthid', layers: 12 }))).toEqual({ kind: 'binomial', trialsPerToken: 12, p: 0.5 });
    expect(planNullModel(spec({ name: 'gumbel' }))).toEqual({ kind: 'gamma' });
  });

  it('needs fewer tokens for a stronger effect, and converts tokens into queries', () => {
    const weak = planAssumed({ spec: kgw, alpha: 1e-6, power: 0.9, effect: { q: 0.35 } });
    const strong = planAssumed({ spec: kgw, alpha: 1e-6, power: 0.9, tokensPerResponse: 50, effect: { q: 0.5 } });
    expect(weak.source).toBe('assumed');
    expect(weak.plans[0]!.plan.tokens.exact!).toBeGreaterThan(strong.plans[0]!.plan.tokens.exact!);
    expect(weak.plans[0]!.plan.queries).toBeFalsy();
    expect(strong.plans[0]!.plan.queries!.exact).toBe(Math.ceil(strong.plans[0]!.plan.tokens.exact! / 50));
    expect(() => planAssumed({ spec: kgw, alpha: 1e-6, power: 0.9, effect: { q: 0.2 } })).toThrow();
  });

  it('refuses a pilot under a payload spec', () => {
    const withPayload = spec({ name: 'kgw', gamma: 0.25, delta: 2 }, { bits: 16, digitBits: 2 });
    expect(() => planFromPilot({ spec: withPayload, key, alpha: 1e-6, power: 0.9, pilot: transcript })).toThrow(/zero-bit specs/);
  });
});

describe('radioactivity', () => {
  it('finds nothing in human text and records decoys and families', async () => {
    const decoyKeys = [new WatermarkKey(new Uint8Array(32).fill(1)), new WatermarkKey(new Uint8Array(32).fill(2))];
    const r = await investigateRadioactivity({ spec: kgw, key, transcript, variants: ['unfiltered'], decoyKeys, decoySeed: 'ab'.repeat(32), families: 2, alpha: 1e-6 });
    expect(r.verdict).toBe('not-detected');
    expect(r.responses).toBe(4);
    expect(r.decoys).toEqual({ k: 2, seed: 'ab'.repeat(32) });
    expect(r.families).toEqual({ k: 2, source: 'hash' });
    expect(r.variants.map((v) => v.variant)).toEqual(['unfiltered']);
    expect(r.combinedLnP).toBe(Math.min(0, r.variants[0]!.suspect.pooled.lnP));
    expect(r.control).toBeNull();
  });

  it('rejects inconsistent options', async () => {
    const base = { spec: kgw, key, transcript, decoyKeys: [], decoySeed: 'ab'.repeat(32), alpha: 1e-6 };
    await expect(investigateRadioactivity({ ...base, variants: ['supervised'] })).rejects.toThrow(/needs --filter/);
    await expect(investigateRadioactivity({ ...base, variants: ['unfiltered'], families: 2, familyMap: transcript })).rejects.toThrow(/not both/);
    await expect(investigateRadioactivity({ ...base, variants: [] })).rejects.toThrow(/nothing to run/);
  });
});

describe('attribute leaks', () => {
  it('needs a payload spec and at least one text', () => {
    expect(() => attributeLeakedTexts({ spec: kgw, key, texts: [{ id: 'a', text: 'x' }], alpha: 1e-6 })).toThrow(/needs a spec with a payload/);
    const withPayload = spec({ name: 'kgw', gamma: 0.25, delta: 2 }, { bits: 16, digitBits: 2 });
    expect(() => attributeLeakedTexts({ spec: withPayload, key, texts: [], alpha: 1e-6 })).toThrow(/no leaked texts/);
    const r = attributeLeakedTexts({ spec: withPayload, key, texts: [{ id: 'a', text: 'Plain human text that carries no account id at all, written by a person.' }], candidates: [{ account: 'alice', id: 7 }], alpha: 1e-6 });
    expect(r.texts).toHaveLength(1);
    expect(r.named).toEqual([]);
  });
});
