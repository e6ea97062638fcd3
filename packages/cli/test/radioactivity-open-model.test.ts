/**
 * `tracemark radioactivity --model`: the open-model test from the command line. A Kneser–Ney
 * student distilled from the texts we served, saved in lm's model format, is detected on
 * those texts (--served; --json parses with RadioactivityOpenModelOutputSchema); the
 * built-in model (our unwatermarked teacher: key-independent) teacher-forced on fresh
 * watermarked answers (--prompts) is not; bad input is one line and exit code 2.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanText, promptSet } from '@tracemark/corpora';
import { distil, encodeKnFile, harvest, referenceModel } from '@tracemark/lm';
import { RadioactivityOpenModelOutputSchema } from '../src/index.js';
import { runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const fx = makeFixture({ seed: 'open-model-cli' });
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

const served = harvest({ teacher: referenceModel(), spec: fx.spec, key: fx.key, prompts: promptSet(80, 5), maxTokens: 100, seed: 2 });
const student = distil({ harvested: served, humanText: humanText({ split: 'train' }).map((d) => d.text), rho: 1, seed: 1 }).model;
const modelFile = join(fx.dir, 'student.tmkn');
writeFileSync(modelFile, encodeKnFile(student.data, { corpusFingerprint: 'harvest', params: { rho: 1 } }));
const servedFile = join(fx.dir, 'served.jsonl');
writeFileSync(servedFile, served.map((r, i) => JSON.stringify({ id: `s${i}`, prompt: r.prompt, text: r.text })).join('\n') + '\n');
const promptsFile = join(fx.dir, 'prompts.txt');
writeFileSync(promptsFile, promptSet(20, 31).join('\n') + '\n');
const base = ['radioactivity', '--spec', fx.specPath, '--key', fx.keyPath, '--decoys', '3', '--decoy-seed', 'ab'.repeat(32)];

describe('radioactivity --model', () => {
  it('detects the distilled student on the served texts (--json, strict schema)', async () => {
    const r = await runInProcess([...base, '--model', modelFile, '--served', servedFile, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = RadioactivityOpenModelOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.test).toBe('open-model');
    expect(out.variants).toHaveLength(1);
    expect(out.variants[0]!.variant).toBe('supervised');
    expect(out.variants[0]!.texts).toBe(80);
    expect(out.verdict).toBe('detected');
    expect(out.combinedLog10P).toBeLessThan(-6);
    expect(out.variants[0]!.decoys.significant).toBe(0);
    expect(RadioactivityOpenModelOutputSchema.safeParse({ ...out, extra: 1 }).success).toBe(false);
  });

  it('does not detect the built-in (unwatermarked) model on fresh watermarked answers (human output)', async () => {
    const r = await runInProcess([...base, '--model', 'builtin', '--prompts', promptsFile, '--teacher-max-tokens', '80'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^unsupervised +\d+ /m);
    expect(r.stdout).toMatch(/verdict: not detected/);
    expect(r.stdout).toMatch(/negative controls: passed/);
  });

  for (const [what, args, msg] of [
    ['no texts', ['--model', modelFile], /needs texts: --served <file>/],
    ['a transcript with --model', ['--model', modelFile, '--served', servedFile, '--transcript', servedFile], /--transcript belongs to the transcript test/],
    ['neither --transcript nor --model', [], /give --transcript <file> .* or --model <suspect>/],
    ['a missing model', ['--model', join(fx.dir, 'missing'), '--served', servedFile], /--model must be "builtin" or a model directory/],
    ['a file that is not a model', ['--model', servedFile, '--served', servedFile], /not a Kneser–Ney model file/],
    ['--served without --model', ['--transcript', servedFile, '--served', servedFile], /--served belongs to the open-model test/],
    ['--ledger without --model', ['--transcript', servedFile, '--ledger', servedFile], /--ledger belongs to the open-model test/],
    ['--accounts without --ledger', ['--model', modelFile, '--served', servedFile, '--accounts', 'a'], /--accounts selects ledger responses/],
    ['--served and --ledger', ['--model', modelFile, '--served', servedFile, '--ledger', servedFile], /give the served texts once/],
  ] as const) {
    it(`bad input (${what}): one line, exit 2`, async () => {
      const r = await runInProcess([...base, ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    });
  }
});
