/**
 * onProgress of the evidence scoring (issue 17): createReport (tracemark report),
 * verifyReport with a key and reproduceBundle (tracemark verify --key) call it with 0, then
 * once per response scored over all suspects, up to the total; the scores written are the
 * same with it as without; verifying without a key scores nothing and never calls it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeyFile, generateKey, parseSpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { createReport, generateSigningKeyFile, reproduceBundle, signingKeyFromFile, verifyReport, type CreateReportOptions } from '../src/index.js';

let dir: string;
let spec: WatermarkSpec;
let key: WatermarkKey;
const signer = signingKeyFromFile(JSON.stringify(generateSigningKeyFile()));
const texts = [
  'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.',
  'Rain fell steadily through the night, and by morning the river had risen above its banks.',
  'She opened the letter slowly, reading each line twice before she understood what it meant.',
  'Farmers in the valley planted corn early this spring because the frost ended weeks ahead of schedule.',
];

function options(out: string, extra: Partial<CreateReportOptions> = {}): CreateReportOptions {
  return {
    out,
    spec,
    key,
    signer,
    transcripts: [
      { name: 'a', path: join(dir, 'a.jsonl') },
      { name: 'b', path: join(dir, 'b.jsonl') },
    ],
    alpha: 1e-6,
    decoys: 3,
    decoySeed: 'cd'.repeat(32),
    heatmap: 1,
    ...extra,
  };
}

const upTo = (total: number): [number, number][] => Array.from({ length: total + 1 }, (_, i) => [i, total]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-evidence-progress-'));
  key = generateKey();
  spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: null, keyFingerprint: key.fingerprint });
  writeFileSync(join(dir, 'key.json'), JSON.stringify(exportKeyFile(key)), { mode: 0o600 });
  const line = (text: string, i: number): string => JSON.stringify({ id: `q${i}`, prompt: `prompt ${i}`, text });
  writeFileSync(join(dir, 'a.jsonl'), texts.map(line).join('\n') + '\n');
  // b has an empty response: it counts as scored (one step) like the others.
  writeFileSync(join(dir, 'b.jsonl'), [...texts.slice(1), ''].map(line).join('\n') + '\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evidence scoring progress', () => {
  it('createReport: 0 … total over both suspects; the same scores as without it', async () => {
    const calls: [number, number][] = [];
    const withP = await createReport(options(join(dir, 'with'), { onProgress: (d, t) => calls.push([d, t]) }));
    expect(calls).toEqual(upTo(8));
    const without = await createReport(options(join(dir, 'without')));
    expect(withP.suspects).toEqual(without.suspects);
    expect(readFileSync(join(dir, 'with', 'scores.json'), 'utf8')).toBe(readFileSync(join(dir, 'without', 'scores.json'), 'utf8'));
  });

  it('verifyReport with a key and reproduceBundle: 0 … total while re-scoring; no key, no calls', async () => {
    const out = join(dir, 'verify');
    await createReport(options(out));
    const calls: [number, number][] = [];
    const v = await verifyReport(out, { keyFile: join(dir, 'key.json'), onProgress: (d, t) => calls.push([d, t]) });
    expect(v.ok).toBe(true);
    expect(calls).toEqual(upTo(8));

    const direct: [number, number][] = [];
    const r = reproduceBundle(out, key, { onProgress: (d, t) => direct.push([d, t]) });
    expect(r.ok).toBe(true);
    expect(direct).toEqual(upTo(8));

    let n = 0;
    const noKey = await verifyReport(out, { onProgress: () => n++ });
    expect(noKey.ok).toBe(true);
    expect(n).toBe(0);
  });
});
