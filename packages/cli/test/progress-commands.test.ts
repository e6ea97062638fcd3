/**
 * Progress lines of `radioactivity`, `report` and `verify --key` (issue 17): on a TTY
 * stderr the bar is drawn on stderr up to total and cleared; stdout (--json) is the same
 * bytes as without a TTY, and no control character ever reaches it. Off a TTY, stderr
 * carries no progress at all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyFile } from '@tracemark/evidence';
import { runProgram } from '../src/program.js';
import type { Io } from '../src/io/output.js';
import { makeFixture, type Fixture } from './helpers/fixtures.js';

let fx: Fixture;
let dir: string;
let signPath: string;
const SEED = 'ef'.repeat(32);
const texts = [
  'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.',
  'Rain fell steadily through the night, and by morning the river had risen above its banks.',
  'She opened the letter slowly, reading each line twice before she understood what it meant.',
  'Farmers in the valley planted corn early this spring because the frost ended weeks ahead of schedule.',
  'The museum reopened after a long renovation, with a new wing devoted to maritime history.',
];

beforeAll(() => {
  fx = makeFixture({ seed: 'progress-commands' });
  dir = mkdtempSync(join(tmpdir(), 'tracemark-progress-commands-'));
  signPath = join(dir, 'sign.json');
  writeFileSync(signPath, JSON.stringify(generateSigningKeyFile()), { mode: 0o600 });
  writeFileSync(join(dir, 'suspect.jsonl'), texts.map((text, i) => JSON.stringify({ id: `q${i}`, prompt: `prompt ${i}`, text })).join('\n') + '\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(fx.dir, { recursive: true, force: true });
});

async function run(args: string[], tty: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: { write: (c: string) => (stdout += c), isTTY: tty }, stderr: { write: (c: string) => (stderr += c), isTTY: tty } };
  const code = await runProgram(args, io);
  return { code, stdout, stderr };
}

/** Both runs succeed, stdout is identical and clean, and only the TTY run drew `label … total/total` on stderr. */
function expectProgress(plain: { code: number; stdout: string; stderr: string }, tty: { code: number; stdout: string; stderr: string }, label: string, total: number, normalise = (s: string) => s): void {
  expect(plain.code, plain.stderr).toBe(0);
  expect(tty.code, tty.stderr).toBe(0);
  expect(normalise(tty.stdout)).toBe(normalise(plain.stdout));
  expect(tty.stdout).not.toMatch(/[\r\x1b]/);
  expect(plain.stderr).not.toContain(label);
  expect(tty.stderr).toContain(`\r\x1b[2K${label} [`);
  expect(tty.stderr).toContain(`] ${total}/${total}`);
  expect(tty.stderr.endsWith('\r\x1b[2K')).toBe(true);
}

describe('progress on a TTY, stdout untouched', () => {
  it('radioactivity --json', async () => {
    const args = ['radioactivity', '--spec', fx.specPath, '--key', fx.keyPath, '--transcript', join(dir, 'suspect.jsonl'), '--decoys', '3', '--decoy-seed', SEED, '--json'];
    const plain = await run(args, false);
    const tty = await run(args, true);
    expectProgress(plain, tty, 'radioactivity', texts.length);
  });

  it('report --json and verify --key --json', async () => {
    const reportArgs = (out: string): string[] => ['report', '--spec', fx.specPath, '--key', fx.keyPath, '--signing-key', signPath, '--transcript', join(dir, 'suspect.jsonl'), '--decoys', '3', '--decoy-seed', SEED, '--out', out, '--json'];
    const plain = await run(reportArgs(join(dir, 'b1')), false);
    const tty = await run(reportArgs(join(dir, 'b2')), true);
    // The bundle path and its Merkle root (over a report stamped with its creation time) differ per run.
    const normalise = (s: string): string => s.replace(/"bundle": "[^"]*"/, '"bundle": "B"').replace(/"merkleRoot": "[0-9a-f]+"/, '"merkleRoot": "R"');
    expectProgress(plain, tty, 'report', texts.length, normalise);

    const verifyArgs = ['verify', join(dir, 'b1'), '--key', fx.keyPath, '--json'];
    const vPlain = await run(verifyArgs, false);
    const vTty = await run(verifyArgs, true);
    expectProgress(vPlain, vTty, 'verify', texts.length);
    expect(JSON.parse(vTty.stdout).ok).toBe(true);

    // Without --key nothing is scored: no bar, even on a TTY.
    const noKey = await run(['verify', join(dir, 'b1'), '--json'], true);
    expect(noKey.code).toBe(0);
    expect(noKey.stderr).toBe('');
  });
});
