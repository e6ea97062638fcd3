import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Detector,
  DetectionResultSchema,
  DocumentResultSchema,
  IdTestSchema,
  LocalizationResultSchema,
  scanCorpus,
  ScanSummarySchema,
  type DocumentResult,
} from '../src/index.js';
import { generate, testKey, testSpec } from './helpers.js';

describe('result schemas match real results (strict)', () => {
  it('detection, localisation, payload, ids', () => {
    const key = testKey('schemas');
    const d = new Detector(testSpec(key, { id: 'prod-1', scheme: { name: 'kgw' } }), key);
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    DetectionResultSchema.parse(JSON.parse(JSON.stringify(d.detect(text))));
    LocalizationResultSchema.parse(JSON.parse(JSON.stringify(d.localize(text))));
    d.dispose();
    const pd = new Detector(testSpec(key, { scheme: { name: 'kgw' }, payload: { bits: 16 } }), key);
    const toks = generate(pd.watermark, { n: 100, seed: 's', digits: [0, 1, 2, 3, 0, 1, 2, 3] });
    const r = DetectionResultSchema.parse(JSON.parse(JSON.stringify(pd.detectTokens(toks))));
    expect(r.payload?.digits.length).toBe(8);
    for (const t of pd.testIds(toks, [5, '7'])) IdTestSchema.parse(t);
    pd.dispose();
  });
  it('scan summary and document results', async () => {
    const key = testKey('schemas-scan');
    const dir = mkdtempSync(join(tmpdir(), 'tm-schema-'));
    try {
      writeFileSync(join(dir, 'a.jsonl'), [{ id: 1, text: 'hello world, hello again' }, { text: 'more text here' }].map((x) => JSON.stringify(x)).join('\n'));
      const docs: DocumentResult[] = [];
      const s = await scanCorpus({ spec: testSpec(key, { scheme: { name: 'gumbel' } }), key }, [join(dir, 'a.jsonl')], {
        idField: 'id',
        onDocument: (x) => void docs.push(x),
      });
      ScanSummarySchema.parse(JSON.parse(JSON.stringify(s)));
      for (const x of docs) DocumentResultSchema.parse(JSON.parse(JSON.stringify(x)));
      expect(docs[0]!.id).toBe('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
