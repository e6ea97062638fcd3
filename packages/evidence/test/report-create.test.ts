/**
 * createReport / verifyReport as library calls: a bundle from named transcript files
 * (and an attached scan), one summary line per suspect; verification checks integrity,
 * the trusted signer, and reproduces every number with the key file — but never on
 * altered evidence; misuse (bad decoy seed, no transcripts, existing directory, wrong
 * key) fails with one-line usage errors.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeyFile, generateKey, parseSpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { createReport, generateSigningKeyFile, scanSummary, signingKeyFromFile, verifyReport, type CreateReportOptions } from '../src/index.js';

let dir: string;
let spec: WatermarkSpec;
let key: WatermarkKey;
const signerFile = generateSigningKeyFile();
const signer = signingKeyFromFile(JSON.stringify(signerFile));
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
    transcripts: [{ name: 'suspect', path: join(dir, 'suspect.jsonl') }],
    alpha: 1e-6,
    decoys: 3,
    decoySeed: 'cd'.repeat(32),
    heatmap: 1,
    ...extra,
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-evidence-report-'));
  key = generateKey();
  spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: null, keyFingerprint: key.fingerprint });
  writeFileSync(join(dir, 'key.json'), JSON.stringify(exportKeyFile(key)), { mode: 0o600 });
  writeFileSync(join(dir, 'suspect.jsonl'), texts.map((text, i) => JSON.stringify({ id: `q${i}`, prompt: `prompt ${i}`, text })).join('\n') + '\n');
  writeFileSync(join(dir, 'scan.json'), JSON.stringify({ documents: 7, pooled: { scored: 120, log10P: -0.3 } }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scanSummary', () => {
  it('names the pooled test when it is there, and says so when it is not', () => {
    expect(scanSummary({ documents: 7, pooled: { scored: 120, log10P: -0.3 } })).toMatch(/^pooled test over 120 distinct tuples: p = .* \(7 documents\)$/);
    expect(scanSummary({ something: 1 })).toBe('attached (no pooled result recognised)');
  });
});

describe('createReport and verifyReport', () => {
  it('writes a signed bundle that verifies and reproduces; tampering is caught before re-running detection', async () => {
    const out = join(dir, 'bundle');
    const r = await createReport(options(out, { scans: [{ name: 'web', path: join(dir, 'scan.json') }], title: 'T' }));
    expect(r.bundle).toBe(out);
    expect(r.files).toContain('transcripts/suspect.jsonl');
    expect(r.files).toContain('scans/web.json');
    expect(r.signerPublicKey).toBe(signerFile.publicKey);
    expect(r.suspects).toHaveLength(1);
    const s = r.suspects[0]!;
    expect(s).toMatchObject({ name: 'suspect', responses: texts.length, verdict: 'not-detected', decoys: 3 });
    expect(s.scored).toBeGreaterThan(0);

    const v = await verifyReport(out, { keyFile: join(dir, 'key.json'), trustedPublicKey: signerFile.publicKey });
    expect(v.ok).toBe(true);
    expect(v.signer).toEqual({ publicKey: signerFile.publicKey, trusted: true });
    expect(v.reproduction).toMatchObject({ checked: true, ok: true, mismatches: [] });
    expect(v.reproduction!.suspects[0]).toMatchObject({ name: 'suspect', scored: s.scored, equal: true });

    const untrusted = await verifyReport(out, { trustedPublicKey: '11'.repeat(32) });
    expect(untrusted.ok).toBe(false);
    expect(untrusted.signer.trusted).toBe(false);
    expect(untrusted.reproduction).toBeNull();

    appendFileSync(join(out, 'transcripts/suspect.jsonl'), '\n');
    const tampered = await verifyReport(out, { keyFile: join(dir, 'key.json') });
    expect(tampered.ok).toBe(false);
    expect(tampered.integrity.problems.map((p) => p.kind)).toContain('changed');
    expect(tampered.reproduction).toMatchObject({ checked: false, ok: false });
  });

  it('fails with usage errors on misuse', async () => {
    await expect(createReport(options(join(dir, 'x1'), { decoySeed: 'AB' }))).rejects.toThrow(/--decoy-seed must be 64 lowercase hex/);
    await expect(createReport(options(join(dir, 'x2'), { transcripts: [] }))).rejects.toThrow(/no transcripts/);
    await expect(createReport(options(dir))).rejects.toThrow(/refusing to overwrite existing bundle directory/);
    await expect(verifyReport(join(dir, 'no-such'))).rejects.toThrow(/bundle not found/);
    const out = join(dir, 'bundle2');
    await createReport(options(out));
    const other = generateKey();
    writeFileSync(join(dir, 'other.json'), JSON.stringify(exportKeyFile(other)), { mode: 0o600 });
    await expect(verifyReport(out, { keyFile: join(dir, 'other.json') })).rejects.toThrow(/wrong key/);
  });
});
