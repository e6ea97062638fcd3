/**
 * hfMatchesTiktoken: a model's tokenizer.json is accepted as a tiktoken encoding only when every
 * id has that encoding's bytes (r50k_base here: 50,257 ids, a fast fixture); the first
 * difference is the reason otherwise; each pair is checked once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfMatchesTiktoken } from '../src/index.js';
import { tiktokenTokenizerJson, writeTinyCausalLM, writeTokenizerJson } from '../src/testing/index.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tracemark-same-vocab-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hfMatchesTiktoken', () => {
  it("accepts a tokenizer.json with the encoding's id → bytes table, refuses it for another encoding", () => {
    writeTokenizerJson(join(root, 'same'), tiktokenTokenizerJson('r50k_base'));
    expect(hfMatchesTiktoken(`hf:${join(root, 'same')}`, 'r50k_base')).toEqual({ same: true });
    // p50k_base shares r50k's first 50,257 ids' bytes but has more ordinary ids: missing here
    expect(hfMatchesTiktoken(`hf:${join(root, 'same')}`, 'p50k_base')).toEqual({ same: false, reason: `id 50257 is missing from ${join(root, 'same')}/tokenizer.json` });
  });

  it('names the first id whose bytes differ (two tokens swapped)', () => {
    const tj = tiktokenTokenizerJson('r50k_base');
    const v = tj.model.vocab;
    const [a, b] = Object.keys(v).filter((k) => v[k] === 300 || v[k] === 301);
    [v[a!], v[b!]] = [v[b!]!, v[a!]!];
    writeTokenizerJson(join(root, 'swapped'), tj);
    const r = hfMatchesTiktoken(`hf:${join(root, 'swapped')}`, 'r50k_base');
    expect(r.same).toBe(false);
    expect(r.same ? '' : r.reason).toMatch(/^id 300 is ".+" there, ".+" in r50k_base$/);
  });

  it('refuses a special token at another id, and another vocabulary altogether', async () => {
    const tj = tiktokenTokenizerJson('r50k_base');
    tj.added_tokens.push({ id: 50257, content: '<|fim|>', special: true });
    writeTokenizerJson(join(root, 'extra-special'), tj);
    expect(hfMatchesTiktoken(`hf:${join(root, 'extra-special')}`, 'r50k_base')).toEqual({ same: false, reason: 'special token "<|fim|>" is id 50257 there, no single id in r50k_base' });
    await writeTinyCausalLM(join(root, 'tiny'), { vocabSize: 64, hidden: 4 });
    const tiny = hfMatchesTiktoken(`hf:${join(root, 'tiny')}`, 'r50k_base');
    expect(tiny.same).toBe(false);
    expect(tiny.same ? '' : tiny.reason).toBe('special token "[UNK]" is id 0 there, no single id in r50k_base');
  });

  it('checks a pair once (the answer is cached) and says why a directory cannot be read', () => {
    const id = `hf:${join(root, 'same')}`;
    expect(hfMatchesTiktoken(id, 'r50k_base')).toBe(hfMatchesTiktoken(id, 'r50k_base'));
    const missing = hfMatchesTiktoken(`hf:${join(root, 'nowhere')}`, 'r50k_base');
    expect(missing.same ? '' : missing.reason).toMatch(/^tokenizer directory not found: /);
  });
});
