/**
 * investigateRadioactivity's onProgress (issue 17): called with 0, then once per response
 * scored (suspect and control, in every variant) up to the total; and scoring with it gives
 * exactly what detector's radioactivityTest gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radioactivityTest } from '@tracemark/detector';
import { generateKey, parseSpec, WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { investigateRadioactivity } from '../src/index.js';
import { loadEvidence, specTokenizer } from '../src/inputs.js';

const key = generateKey();
const kgw: WatermarkSpec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.3, delta: 2 }, context: { width: 1, mode: 'left' }, payload: null, keyFingerprint: key.fingerprint } as never);
const decoyKeys = [new WatermarkKey(new Uint8Array(32).fill(1)), new WatermarkKey(new Uint8Array(32).fill(2))];
let dir: string;
let transcript: string;
let control: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-radioactivity-progress-'));
  transcript = join(dir, 'suspect.jsonl');
  control = join(dir, 'control.jsonl');
  const texts = [
    'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.',
    'Rain fell steadily through the night, and by morning the river had risen above its banks.',
    'She opened the letter slowly, reading each line twice before she understood what it meant.',
    'Farmers in the valley planted corn early this spring because the frost ended weeks ahead of schedule.',
    'The museum reopened after a long renovation, with a new wing devoted to maritime history.',
  ];
  const line = (text: string, i: number): string => JSON.stringify({ id: `q${i}`, prompt: `Tell me something, ${i}`, text });
  writeFileSync(transcript, texts.map(line).join('\n') + '\n');
  writeFileSync(control, texts.slice(0, 3).map((t, i) => line(t.split(' ').reverse().join(' '), i)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('investigateRadioactivity onProgress', () => {
  it('counts every response scored, 0 … total, increasing by one', async () => {
    const calls: [number, number][] = [];
    const r = await investigateRadioactivity({
      spec: kgw,
      key,
      transcript,
      control,
      variants: ['unfiltered'],
      decoyKeys,
      decoySeed: 'ab'.repeat(32),
      alpha: 1e-6,
      warn: () => {},
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(r.responses).toBe(5);
    // 5 suspect responses + 3 control responses, one variant.
    expect(calls).toEqual(Array.from({ length: 9 }, (_, i) => [i, 8]));
  });

  it('gives exactly what radioactivityTest gives, with or without onProgress', async () => {
    const base = { spec: kgw, key, transcript, control, variants: ['unfiltered'] as const, decoyKeys, decoySeed: 'ab'.repeat(32), families: 2, alpha: 1e-6, warn: () => {} };
    let n = 0;
    const withProgress = await investigateRadioactivity({ ...base, onProgress: () => n++ });
    const without = await investigateRadioactivity(base);
    expect(n).toBe(9);
    expect(withProgress).toEqual(without);
    const tok = specTokenizer(kgw);
    try {
      const direct = radioactivityTest({
        spec: kgw,
        key,
        suspect: loadEvidence(transcript, tok).items,
        control: loadEvidence(control, tok).items,
        decoyKeys,
        families: 2,
        alpha: 1e-6,
        specialTokens: tok.specialTokenIds,
      });
      const { variant: _v, filterDescription: _f, ...rest } = withProgress.variants[0]!;
      expect(rest).toEqual(direct);
    } finally {
      tok.dispose();
    }
  });
});
