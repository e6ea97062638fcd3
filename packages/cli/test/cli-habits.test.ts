/**
 * CLI habits (issue 17): what a user's shell habits run into.
 *  - `scan --top N` lists N documents in the human output as in --json.
 *  - commander's own errors are one `tracemark: …` line on stderr (exit 2); help is unchanged.
 *  - a reader that closes the pipe (`| head -1`) ends the real binary quietly with exit 0.
 *  - `detect file.txt` (a path where a text goes) is refused with a hint to use --file.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanOutputSchema } from '../src/schemas.js';
import { runInProcess, spawnCli, type CliResult } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const fx = makeFixture({ seed: 'cli-habits' });
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

const auth = ['--spec', fx.specPath, '--key', fx.keyPath];

const corpus = join(fx.dir, 'corpus.jsonl');
writeFileSync(
  corpus,
  Array.from({ length: 14 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `Document ${i} is about the weather in town ${i * 7}, apples, rivers and the number ${i * i}.` })).join('\n') + '\n',
);

describe('scan --top N', () => {
  /** The most-marked lines of the human output: "  <source>:<line> (<id>): p = …". */
  const listed = (stdout: string): string[] => stdout.split('\n').filter((l) => /^ {2}\S+:\d+ \(d\d+\): p = /.test(l));

  it.each([0, 3, 8, 12])('--top %i lists that many documents, in the human output and in --json', async (n) => {
    const [human, json] = await Promise.all([
      runInProcess(['scan', corpus, ...auth, '--id-field', 'id', '--top', String(n)]),
      runInProcess(['scan', corpus, ...auth, '--id-field', 'id', '--top', String(n), '--json']),
    ]);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);
    const top = ScanOutputSchema.parse(JSON.parse(json.stdout)).mostMarked;
    expect(top).toHaveLength(n);
    expect(listed(human.stdout)).toEqual(top.map((d) => expect.stringContaining(`  ${d.source}:${d.line} (${d.id}): p = `)));
  });

  it('the default is 10', async () => {
    const r = await runInProcess(['scan', corpus, ...auth, '--id-field', 'id']);
    expect(listed(r.stdout)).toHaveLength(10);
  });
});

describe("commander's errors: one `tracemark: …` line on stderr, exit 2", () => {
  const cases: [string, string[], string][] = [
    ['unknown option', ['detect', ...auth, '--frobnicate', 'x'], "tracemark: unknown option '--frobnicate' (see tracemark detect --help)\n"],
    ['unknown command (with a suggestion)', ['detet'], "tracemark: unknown command 'detet' (Did you mean detect?) (see tracemark --help)\n"],
    ['missing argument', ['scan', ...auth], "tracemark: missing required argument 'paths' (see tracemark scan --help)\n"],
    ['missing required option', ['ledger', 'lookup', 'x'], "tracemark: required option '--ledger <file>' not specified (see tracemark ledger lookup --help)\n"],
    ['option without its value', ['detect', ...auth, 'some text', '--alpha'], "tracemark: option '--alpha <α>' argument missing (see tracemark detect --help)\n"],
    ['too many arguments', ['spec', 'show', fx.specPath, 'extra'], "tracemark: too many arguments for 'show'. Expected 1 argument but got 2. (see tracemark spec show --help)\n"],
  ];
  it.each(cases)('%s', async (_name, args, stderr) => {
    const r = await runInProcess(args);
    expect(r).toEqual({ code: 2, signal: null, stdout: '', stderr });
  });

  it('--help is unchanged: usage on stdout, nothing on stderr, exit 0', async () => {
    const r = await runInProcess(['detect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: tracemark detect \[options\] \[text\.\.\.\]\n\ntest texts for the watermark/);
    expect(r.stdout).toContain('Verdict: "watermarked" when p ≤ α.');
  });

  it('a command group without its subcommand still shows its help (on stderr, exit 2)', async () => {
    const r = await runInProcess(['spec']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: tracemark spec \[options\] \[command\]\n/);
  });
});

describe('a closed stdout pipe (`… | head -1`)', () => {
  /**
   * The real binary with its stdout closed before it writes anything (its start takes far
   * longer than this), so its first write meets a closed pipe (EPIPE) for sure.
   */
  const withClosedStdout = (args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawnCli(args);
      child.stdout!.destroy();
      child.stdin!.end();
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`tracemark ${args.join(' ')} did not finish\n${stderr}`));
      }, 60_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: '', stderr });
      });
    });

  const texts = Array.from({ length: 40 }, (_, i) => `Text ${i}: the weather in town was fine, and the river ran high after the rain.`);
  const cases: [string, string[]][] = [
    ['detect', ['detect', ...auth, '--no-spans', ...texts]],
    ['detect --json', ['detect', ...auth, '--no-spans', '--json', ...texts]],
    ['spec show', ['spec', 'show', fx.specPath]],
    ['plan', ['plan', '--scheme', 'kgw', '--q', '0.3']],
  ];
  it.concurrent.each(cases)('%s: exit 0, nothing on stderr (no EPIPE stack trace)', async (_name, args) => {
    const r = await withClosedStdout(args);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });
});

describe('detect <path>: a text argument that names an existing file is refused', () => {
  const file = join(fx.dir, 'letter.txt');
  writeFileSync(file, 'Dear Sir, the weather in town was fine, and the river ran high after the rain.\n');

  it('a file: exit 2, one line that says to use --file, nothing scored', async () => {
    const r = await runInProcess(['detect', ...auth, 'a real text to test', file]);
    expect(r).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr: `tracemark: argument 2 (${JSON.stringify(file)}) names an existing file, not a text: to test the file's contents use --file ${file} (a text that looks like a path can come on stdin)\n`,
    });
  });

  it('a directory: exit 2, pointing to scan', async () => {
    const r = await runInProcess(['detect', ...auth, '--json', fx.dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tracemark: argument 1 \(.*\) names an existing directory, not a text: for a corpus use tracemark scan .*\n$/);
  });

  it('--file with the same path, and texts that name no file, are tested as before', async () => {
    const [viaFile, text] = await Promise.all([
      runInProcess(['detect', ...auth, '--json', '--file', file]),
      runInProcess(['detect', ...auth, '--json', join(fx.dir, 'no-such-file.txt'), 'two words']),
    ]);
    expect(viaFile.code).toBe(0);
    expect(JSON.parse(viaFile.stdout).results).toEqual([expect.objectContaining({ source: file, tokens: expect.any(Number) })]);
    expect(JSON.parse(viaFile.stdout).results[0].tokens).toBeGreaterThan(10);
    expect(text.code).toBe(0);
    expect(JSON.parse(text.stdout).results.map((t: { source: string }) => t.source)).toEqual(['arg:1', 'arg:2']);
  });
});
