/**
 * The process entry (src/bin.ts) end to end, one spawn per behaviour class: exit codes
 * (0, 1 from a command's exit code, 2 from commander and from a usage error), the
 * one-line `tracemark: <message>` stderr format, --help and --version. Every case also
 * runs in-process, and the two must agree byte for byte: that is what lets the other
 * test files use runInProcess.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '@tracemark/serve';
import { runCli, runInProcess, type CliResult } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const fx = makeFixture({ seed: 'bin-test' });
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

const ledgerPath = join(fx.dir, 'empty.sqlite');
Ledger.openForWriting(ledgerPath, { specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), specJson: '{"version":1}' }).close();

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const cases: Record<string, { args: string[]; check: (r: CliResult) => void }> = {
  version: { args: ['--version'], check: (r) => expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' }) },
  help: {
    args: ['--help'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: tracemark \[options\] \[command\]\n/);
      expect(r.stderr).toBe('');
    },
  },
  'success with --json': {
    args: ['spec', 'show', fx.specPath, '--json'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ spec: { id: 'serve-test' } });
    },
  },
  'a command exit code (not found → 1)': {
    args: ['ledger', 'lookup', 'never issued', '--ledger', ledgerPath],
    check: (r) => expect(r).toMatchObject({ code: 1, stdout: expect.stringMatching(/^not issued: /), stderr: '' }),
  },
  'a usage error (exit 2, one line)': {
    args: ['spec', 'show', join(fx.dir, 'nope.json')],
    check: (r) => expect(r).toMatchObject({ code: 2, stdout: '', stderr: `tracemark: spec file not found: ${join(fx.dir, 'nope.json')}\n` }),
  },
  'an unknown option (commander, exit 2)': {
    args: ['spec', 'show', fx.specPath, '--frobnicate'],
    check: (r) => expect(r).toMatchObject({ code: 2, stdout: '', stderr: "tracemark: unknown option '--frobnicate' (see tracemark spec show --help)\n" }),
  },
  'an unknown command (commander, exit 2)': {
    args: ['frobnicate'],
    check: (r) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("tracemark: unknown command 'frobnicate' (see tracemark --help)\n");
    },
  },
};

describe('bin.ts', () => {
  it.concurrent.each(Object.keys(cases))('%s: the binary and runInProcess agree', async (name) => {
    const { args, check } = cases[name]!;
    const [spawned, inProcess] = await Promise.all([runCli(args, { timeoutMs: 60_000 }), runInProcess(args)]);
    expect(spawned.signal).toBeNull();
    check(spawned);
    expect(inProcess).toEqual(spawned);
  });
});
