/**
 * `tracemark detect --normalize auto|on|off` (default auto): a text that normalisation
 * changes (zero-width, compatibility, lookalike characters) is tested as given and
 * normalised, the smaller p doubled, and the output says so; a bad mode is a usage error.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const fx = makeFixture({ seed: 'detect-normalize' });
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));
const plain = 'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items before lunch.';
const hidden = plain.replace(/\b([a-z])/g, '$1\u200b');

describe('detect --normalize', () => {
  it('auto (default): a changed text is tested both ways and says so; an unchanged one is not', async () => {
    const r = await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, hidden]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^  normalisation changes this text .* p above is the smaller, doubled/m);
    const j = JSON.parse((await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--json', hidden])).stdout);
    const n = j.results[0].normalization;
    expect(n.rule).toBe('min-of-two, Bonferroni x2');
    expect(j.results[0].lnP).toBeCloseTo(Math.min(0, Math.min(n.lnPAsGiven, n.lnPNormalized) + Math.LN2), 12);
    const clean = JSON.parse((await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--json', plain])).stdout);
    expect(clean.results[0].normalization).toBeUndefined();
  });

  it('off and on test one version, unpenalised', async () => {
    const off = JSON.parse((await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--json', '--normalize', 'off', hidden])).stdout).results[0];
    const on = JSON.parse((await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--json', '--normalize', 'on', hidden])).stdout).results[0];
    const clean = JSON.parse((await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--json', '--normalize', 'off', plain])).stdout).results[0];
    expect(off.normalization).toBeUndefined();
    expect(on.normalization).toBeUndefined();
    expect(on.lnP).toBe(clean.lnP); // normalising the hidden text gives back the plain one
    expect(off.scored).not.toBe(clean.scored);
  });

  it('a mode that is not auto, on or off: one line, exit 2', async () => {
    const r = await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--normalize', 'yes', plain]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--normalize must be auto, on or off \(got "yes"\)/);
  });
});
