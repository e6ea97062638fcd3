/**
 * `tracemark demo --quick` through the program, in-process: every stage runs (provider server,
 * harvest with many accounts, distillation, unwatermarked suspect servers, probing,
 * detection, signed bundle, verification), the clone is detected and the innocent
 * control is not, and the bundle verifies with the provider's key.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DemoOutputSchema, VerifyOutputSchema } from '../src/schemas.js';
import { runInProcess } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo', () => {
  it('runs end to end: the clone is detected, the control is not, the bundle verifies', async () => {
    const out = join(dir, 'run');
    const r = await runInProcess(['demo', '--quick', '--out', out, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const d = DemoOutputSchema.parse(JSON.parse(r.stdout));
    // Stage lines go to stderr with --json, one per stage.
    for (let i = 1; i <= 7; i++) expect(r.stderr).toContain(`[${i}/7]`);
    expect(r.stderr).toMatch(/clone +yes \(ρ = 1\) .* DETECTED/);
    expect(d.verified).toBe(true);
    const [clone, control] = d.suspects;
    expect(clone).toMatchObject({ name: 'clone', verdict: 'detected' });
    expect(control).toMatchObject({ name: 'control', verdict: 'not-detected' });
    expect(d.harvest.accounts).toBeGreaterThan(1);
    expect(d.provider.ledgerRows).toBe(d.harvest.responses);
    expect(existsSync(d.report)).toBe(true);
    // Keys are 0600 and never inside the bundle.
    const keyFile = join(out, 'provider', 'watermark-key.json');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const secret = JSON.parse(readFileSync(keyFile, 'utf8')).key as string;
    expect(readFileSync(d.report, 'utf8')).not.toContain(secret);
    const v = await runInProcess(['verify', d.bundle, '--key', keyFile, '--json'], { timeoutMs: 60_000 });
    expect(v.code).toBe(0);
    expect(VerifyOutputSchema.parse(JSON.parse(v.stdout)).reproduction!.ok).toBe(true);
  });
});
