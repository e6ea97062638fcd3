/**
 * CLI habits (issue 17): what a user's shell habits run into.
 *  - `scan --top N` lists N documents in the human output as in --json.
 *  - commander's own errors are one `tracemark: …` line on stderr (exit 2); help is unchanged.
 *  - a reader that closes the pipe (`| head -1`) ends the real binary quietly with exit 0.
 *  - `detect file.txt` (a path where a text goes) is refused with a hint to use --file.
 *  - empty input (detect: empty texts, files, stdin; scan: no documents) warns in one line.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanOutputSchema } from '../src/schemas.js';
import { runCli, runInProcess, spawnCli, type CliResult } from './helpers/cli.js';
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
    expect(r.stdout).toContain('Verdict: "detected" (printed WATERMARKED) when p ≤ α.');
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

describe('empty input: one `tracemark: warning: …` line, results unchanged', () => {
  const emptyFile = join(fx.dir, 'empty.txt');
  const emptyJsonl = join(fx.dir, 'empty-texts.jsonl');
  writeFileSync(emptyFile, '');
  writeFileSync(emptyJsonl, '{"text":""}\n{"text":"  \\n"}\n');
  const empty = { verdict: 'not-detected', scored: 0, lnP: 0, pValue: '1', tooShort: true };

  it('detect: empty texts (arguments, --file, --jsonl; a lone BOM is empty); whitespace is a text', async () => {
    const r = await runInProcess(['detect', ...auth, '--json', '', 'a text with words in it', '--file', emptyFile, '--jsonl', emptyJsonl, '\uFEFF']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`tracemark: warning: 4 of 6 text(s) empty (arg:1, arg:3, ${emptyFile}, …): nothing to score, so their verdicts say nothing\n`);
    const out = JSON.parse(r.stdout) as { texts: number; results: { source: string; tokens: number }[] };
    expect(out.texts).toBe(6);
    expect(out.results.map((t) => t.source)).toEqual(['arg:1', 'arg:2', 'arg:3', emptyFile, `${emptyJsonl}:1`, `${emptyJsonl}:2`]);
    for (const i of [0, 2, 3, 4]) expect(out.results[i]).toMatchObject({ ...empty, tokens: 0 });
    expect(out.results[1]!.tokens).toBeGreaterThan(3);
    expect(out.results[5]!.tokens).toBeGreaterThan(0); // "  \n": whitespace is tokenized (and may be scored)
  });

  it('detect: no warning when every text has something to score', async () => {
    const r = await runInProcess(['detect', ...auth, 'a text with words in it']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('detect: empty stdin (the real binary)', async () => {
    const r = await runCli(['detect', ...auth, '--json'], { input: '', timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('tracemark: warning: 1 of 1 text(s) empty (stdin): nothing to score, so their verdicts say nothing\n');
    expect(JSON.parse(r.stdout).results).toEqual([expect.objectContaining({ source: 'stdin', tokens: 0, ...empty })]);
  });

  it('scan: a corpus with no documents', async () => {
    const emptyDocsJsonl = join(fx.dir, 'empty-docs.jsonl');
    writeFileSync(emptyDocsJsonl, '{"text":""}\n{"text":""}\n');
    const [noDocs, emptyDocs, some] = await Promise.all([
      runInProcess(['scan', emptyFile, ...auth, '--json']),
      runInProcess(['scan', emptyDocsJsonl, ...auth, '--json']),
      runInProcess(['scan', corpus, ...auth, '--json']),
    ]);
    expect(noDocs.code).toBe(0);
    expect(noDocs.stderr).toBe('tracemark: warning: no documents to score in 1 file(s): the pooled test had nothing to test\n');
    expect(ScanOutputSchema.parse(JSON.parse(noDocs.stdout))).toMatchObject({ documents: 0, verdict: 'not-detected', pooled: { scored: 0, lnP: 0 } });
    expect(emptyDocs.code).toBe(0);
    expect(emptyDocs.stderr).toBe('tracemark: warning: no documents to score in 1 file(s) (2 empty): the pooled test had nothing to test\n');
    expect(ScanOutputSchema.parse(JSON.parse(emptyDocs.stdout))).toMatchObject({ documents: 0, emptyDocuments: 2 });
    expect(some.stderr).toBe('');
  });
});
