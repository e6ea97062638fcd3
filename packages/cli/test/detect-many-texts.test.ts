/**
 * `tracemark detect` on many texts: each p-value is exact for its own text, but under one
 * key texts that share passages share (window, token) tuples and are flagged together, so
 * "k of n watermarked" is no corpus-level test (issue 17). The human summary says so when
 * more than one text is scored (not for one text), --help says so, and --json is unchanged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectOutputSchema } from '../src/schemas.js';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';

let dir: string;
const p = (name: string): string => join(dir, name);
const NOTE = /^\(each p-value is exact for its own text; texts sharing passages are flagged together, so this count is no corpus-level test: use tracemark scan\)$/m;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-detect-many-'));
  expect((await runInProcess(['keygen', '--out', p('key.json'), '--json'])).code).toBe(0);
  expect((await runInProcess(['spec', 'init', '--key', p('key.json'), '--out', p('spec.json'), '--json'])).code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detect: the k-of-n summary of many texts', () => {
  it('says, after the summary of more than one text, that the count is no corpus test and points to scan', async () => {
    const base = ['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--no-spans'];
    const [one, two, json] = await Promise.all([
      runInProcess([...base, 'the first human sentence, written without any key']),
      runInProcess([...base, 'the first human sentence, written without any key', 'a second one, also by hand']),
      runInProcess([...base, 'the first human sentence, written without any key', 'a second one, also by hand', '--json']),
    ]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^0 of 1 text\(s\) watermarked at α = 0\.000001 /m);
    expect(one.stdout).not.toMatch(NOTE);
    expect(two.code).toBe(0);
    const lines = two.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^0 of 2 text\(s\) watermarked at α = 0\.000001 /);
    expect(lines.at(-1)).toMatch(NOTE);
    // --json: the same object as before, nothing printed around it.
    const j = DetectOutputSchema.parse(JSON.parse(json.stdout));
    expect(j.texts).toBe(2);
    expect(json.stdout).not.toContain('tracemark scan');
  });

  it('--help explains per-text p-values against the corpus-level scan', async () => {
    const h = await runInProcess(['detect', '--help']);
    expect(h.stdout).toContain('each p-value is exact for its own text');
    expect(h.stdout).toMatch(/flagged together/);
    expect(h.stdout).toMatch(/corpus-level\s+test is tracemark scan/);
  });

  it('the docs where users read rates say it too, and name the pooled scan as the corpus-level test', () => {
    for (const doc of ['docs/CALIBRATION.md', 'packages/detector/README.md', 'packages/cli/README.md']) {
      const text = readFileSync(join(REPO_ROOT, doc), 'utf8').replace(/\s+/g, ' ');
      expect(text, doc).toMatch(/flagged together/);
      expect(text, doc).toMatch(/pooled|`scan`/);
    }
  });
});
