/**
 * keygen, spec, generate and detect through the program (in-process; the real binary
 * for text piped on stdin): exit codes, `--json` validated by the exported zod schemas,
 * files (0600 keys, no overwrite, atomic), and one-line stderr for bad input (missing
 * file, bad flag, malformed JSONL with its line number, wrong key).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '@tracemark/detector';
import { parseKeyFile, parseSpecJson } from '@tracemark/watermark';
import {
  DetectOutputSchema,
  GenerateOutputSchema,
  KeygenOutputSchema,
  SpecCheckOutputSchema,
  SpecInitOutputSchema,
  SpecShowOutputSchema,
} from '../src/schemas.js';
import { runCli, runInProcess } from './helpers/cli.js';

let dir: string;
const p = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-cli-'));
  // One key + spec shared by the tests below (made through the CLI).
  const k = await runInProcess(['keygen', '--out', p('key.json'), '--json']);
  expect(k.code).toBe(0);
  const s = await runInProcess(['spec', 'init', '--key', p('key.json'), '--out', p('spec.json'), '--json']);
  expect(s.code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keygen', () => {
  it('writes a 0600 key, prints only the fingerprint, and refuses to overwrite', async () => {
    const r = await runInProcess(['keygen', '--out', p('k1.json'), '--json']);
    expect(r.code).toBe(0);
    const out = KeygenOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.kind).toBe('watermark');
    expect(statSync(p('k1.json')).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(p('k1.json'), 'utf8'));
    expect(parseKeyFile(readFileSync(p('k1.json'), 'utf8')).fingerprint).toBe(out.fingerprint);
    expect(r.stdout).not.toContain(file.key);
    const human = await runInProcess(['keygen', '--out', p('k2.json')]);
    expect(human.stdout).toMatch(/^fingerprint [0-9a-f]{32}$/m);
    expect(human.stdout).not.toContain(JSON.parse(readFileSync(p('k2.json'), 'utf8')).key);
    const again = await runInProcess(['keygen', '--out', p('k1.json')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`tracemark: refusing to overwrite existing file ${p('k1.json')}\n`);
    expect(JSON.parse(readFileSync(p('k1.json'), 'utf8')).key).toBe(file.key);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('makes a separate Ed25519 signing key with --signing', async () => {
    const r = await runInProcess(['keygen', '--signing', '--out', p('sign.json'), '--json']);
    expect(r.code).toBe(0);
    const out = KeygenOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.kind).toBe('signing');
    const file = JSON.parse(readFileSync(p('sign.json'), 'utf8'));
    expect(file.type).toBe('tracemark-signing-key');
    expect(out.publicKey).toBe(file.publicKey);
    expect(r.stdout).not.toContain(file.secretKey);
    expect(statSync(p('sign.json')).mode & 0o777).toBe(0o600);
  });
});

describe('spec', () => {
  it('init, show and check agree, with the key fingerprint and no key material', async () => {
    const init = await runInProcess([
      'spec', 'init', '--key', p('key.json'), '--out', p('s2.json'),
      '--scheme', 'kgw', '--gamma', '0.25', '--delta', '2', '--width', '2', '--mode', 'left', '--payload-bits', '16', '--id', 'prod', '--json',
    ]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const i = SpecInitOutputSchema.parse(JSON.parse(init.stdout));
    const key = parseKeyFile(readFileSync(p('key.json'), 'utf8'));
    expect(i.spec).toMatchObject({ id: 'prod', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2, mode: 'left' }, payload: { bits: 16, digitBits: 2 }, keyFingerprint: key.fingerprint });
    expect(readFileSync(p('s2.json'), 'utf8')).not.toContain(JSON.parse(readFileSync(p('key.json'), 'utf8')).key);
    const [show, check, human] = await Promise.all([
      runInProcess(['spec', 'show', p('s2.json'), '--json']),
      runInProcess(['spec', 'check', p('s2.json'), '--key', p('key.json'), '--json']),
      runInProcess(['spec', 'show', p('s2.json')]),
    ]);
    const s = SpecShowOutputSchema.parse(JSON.parse(show.stdout));
    expect(s.specId).toBe(i.specId);
    expect(s.spec).toEqual(parseSpecJson(readFileSync(p('s2.json'), 'utf8')));
    const c = SpecCheckOutputSchema.parse(JSON.parse(check.stdout));
    expect(c).toMatchObject({ ok: true, keyChecked: true, specId: i.specId });
    expect(human.stdout).toMatch(/^kgw γ=0\.25 δ=2, context h=2 \(left\), tokenizer o200k_base, 16-bit payload/);
  });

  it('rejects bad parameters, a wrong key, a missing file and an unknown flag', async () => {
    const [gamma, scheme, wrong, missing, flag, over] = await Promise.all([
      runInProcess(['spec', 'init', '--key', p('key.json'), '--out', p('x.json'), '--gamma', '1.5']),
      runInProcess(['spec', 'init', '--key', p('key.json'), '--out', p('x.json'), '--scheme', 'gumbel', '--delta', '2']),
      runInProcess(['spec', 'check', p('spec.json'), '--key', p('k2.json')]),
      runInProcess(['spec', 'show', p('nope.json')]),
      runInProcess(['spec', 'show', p('spec.json'), '--frobnicate']),
      runInProcess(['spec', 'init', '--key', p('key.json'), '--out', p('spec.json')]),
    ]);
    expect(gamma.code).toBe(2);
    expect(gamma.stderr).toBe('tracemark: --gamma must be a number in (0, 1) (got "1.5")\n');
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toBe('tracemark: --gamma and --delta apply to kgw and unigram, not gumbel\n');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^tracemark: .*k2\.json: wrong key: key fingerprint [0-9a-f]{32} does not match the spec's keyFingerprint [0-9a-f]{32}\n$/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tracemark: spec file not found: ${p('nope.json')}\n`);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/refusing to overwrite existing file .*spec\.json \(pass --force\)/);
    expect(existsSync(p('x.json'))).toBe(false);
  });

  it('has --help on every command', async () => {
    const cmds = [['keygen'], ['spec', 'init'], ['detect'], ['generate'], ['probe'], ['report'], ['verify'], ['scan'], ['demo']];
    const rs = await Promise.all(cmds.map((c) => runInProcess([...c, '--help'])));
    rs.forEach((r, i) => {
      expect(r.code, cmds[i]!.join(' ')).toBe(0);
      expect(r.stdout, cmds[i]!.join(' ')).toMatch(/^Usage: tracemark /);
      expect(r.stdout).toMatch(/--json/);
    });
  });
});

describe('generate and detect', () => {
  const promptsFile = (): string => {
    const f = p('prompts.jsonl');
    const prompts = ['The history of the city', 'In the morning the', 'Scientists have found that', 'The committee decided to', 'She walked into the room and', 'According to the report,'];
    writeFileSync(f, prompts.map((x, i) => JSON.stringify({ id: `q${i}`, prompt: x })).join('\n') + '\n');
    return f;
  };
  let wm: string;
  let plain: string;

  beforeAll(async () => {
    wm = p('wm.jsonl');
    plain = p('plain.jsonl');
    const prompts = promptsFile();
    const [a, b] = await Promise.all([
      runInProcess(['generate', '--spec', p('spec.json'), '--key', p('key.json'), '--prompts', prompts, '--max-tokens', '150', '--seed', '3', '--out', wm, '--json'], { timeoutMs: 60_000 }),
      runInProcess(['generate', '--plain', '--prompts', prompts, '--max-tokens', '150', '--seed', '3', '--out', plain, '--json'], { timeoutMs: 60_000 }),
    ]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ga = GenerateOutputSchema.parse(JSON.parse(a.stdout));
    expect(ga.watermarked).toBe(true);
    expect(ga.results.map((r) => r.id)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
    // The model may end a text early (eos); every step it takes is watermarked (h = 1, the prompt gives context).
    for (const r of ga.results) expect(r.watermarkedSteps).toBe(r.tokens);
    expect(ga.results.filter((r) => r.tokens >= 100).length).toBeGreaterThanOrEqual(2);
    expect(GenerateOutputSchema.parse(JSON.parse(b.stdout)).keyFingerprint).toBeNull();
  });

  it('generate is deterministic in --seed', async () => {
    const args = ['generate', '--spec', p('spec.json'), '--key', p('key.json'), '--max-tokens', '40', '--seed', '9', 'In the morning the', '--json'];
    const [r1, r2] = await Promise.all([runInProcess(args, { timeoutMs: 60_000 }), runInProcess(args, { timeoutMs: 60_000 })]);
    const t1 = GenerateOutputSchema.parse(JSON.parse(r1.stdout)).results[0]!.text;
    expect(t1.length).toBeGreaterThan(20);
    expect(GenerateOutputSchema.parse(JSON.parse(r2.stdout)).results[0]!.text).toBe(t1);
  });

  it('detects watermarked texts and not plain ones, matching the detector library exactly', async () => {
    // --normalize off: the library's default, so the numbers can be compared exactly below (the
    // CLI's default, auto, doubles p for a generated text that normalisation changes: detect-normalize.test.ts)
    const r = await runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--jsonl', wm, '--jsonl', plain, '--prompt-field', 'prompt', '--normalize', 'off', '--json']);
    expect(r.code).toBe(0);
    const out = DetectOutputSchema.parse(JSON.parse(r.stdout));
    // The model may end a text at once (eos): an empty text is warned about, nothing else is said.
    const empty = out.results.filter((x) => x.tokens === 0).map((x) => x.source);
    const shown = empty.length > 3 ? `${empty.slice(0, 3).join(', ')}, …` : empty.join(', ');
    expect(r.stderr).toBe(empty.length === 0 ? '' : `tracemark: warning: ${empty.length} of 12 text(s) empty (${shown}): nothing to score, so their verdicts say nothing\n`);
    expect(out.alpha).toBe(1e-6);
    expect(out.texts).toBe(12);
    const marked = out.results.slice(0, 6);
    expect(marked.filter((x) => x.scored >= 90).length).toBeGreaterThanOrEqual(2);
    for (const x of marked) if (x.scored >= 90) expect(x.verdict).toBe('detected');
    expect(out.results.slice(6).map((x) => x.verdict)).toEqual(new Array(6).fill('not-detected'));
    expect(out.results.map((x) => x.source)).toEqual([1, 2, 3, 4, 5, 6].map((l) => `${wm}:${l}`).concat([1, 2, 3, 4, 5, 6].map((l) => `${plain}:${l}`)));
    const best = marked.reduce((a, b) => (b.lnP < a.lnP ? b : a));
    expect(best.spans!.length).toBeGreaterThan(0);
    // Same numbers as the library with the same exclusion.
    const d = Detector.fromJson(readFileSync(p('spec.json'), 'utf8'), readFileSync(p('key.json'), 'utf8'));
    const i = marked.indexOf(best);
    const rec = JSON.parse(readFileSync(wm, 'utf8').split('\n')[i]!);
    const lib = d.detect(rec.text, { exclude: [rec.prompt] });
    expect(best).toMatchObject({ lnP: lib.lnP, scored: lib.scored, score: lib.score, excluded: lib.excluded });
    d.dispose();
  });

  it('reads texts from arguments, files and stdin', async () => {
    const texts = readFileSync(wm, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text as string);
    const text = texts.reduce((a, b) => (b.length > a.length ? b : a));
    writeFileSync(p('one.txt'), text);
    const [args, file, stdin, human] = await Promise.all([
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), text, 'a short human sentence', '--json']),
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--file', p('one.txt'), '--json']),
      runCli(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--json'], { input: text }),
      runCli(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--alpha', '1e-3', '--no-spans'], { input: text }),
    ]);
    const a = DetectOutputSchema.parse(JSON.parse(args.stdout));
    expect(a.results.map((x) => [x.source, x.verdict])).toEqual([['arg:1', 'detected'], ['arg:2', 'not-detected']]);
    expect(a.results[1]!.tooShort).toBe(true);
    const f = DetectOutputSchema.parse(JSON.parse(file.stdout));
    const s = DetectOutputSchema.parse(JSON.parse(stdin.stdout));
    expect(f.results[0]!.lnP).toBe(a.results[0]!.lnP);
    expect(s.results[0]!.source).toBe('stdin');
    expect(s.results[0]!.lnP).toBe(a.results[0]!.lnP);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^stdin: WATERMARKED {2}p = \S+ \(log10 p = -\d+\.\d\d\), \d+ of \d+ tokens scored/);
    expect(human.stdout).toMatch(/1 of 1 text\(s\) watermarked at α = 0\.001/);
  });

  it('reports malformed JSONL with its line number, a missing file, a wrong key and a bad alpha', async () => {
    writeFileSync(p('bad.jsonl'), '{"text":"fine"}\n\n{"text": "broken"\n{"text":"x"}\n');
    writeFileSync(p('nofield.jsonl'), '{"text":"fine"}\n{"body":"x"}\n');
    const [bad, nofield, missing, wrong, alpha] = await Promise.all([
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--jsonl', p('bad.jsonl')]),
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--jsonl', p('nofield.jsonl')]),
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--file', p('missing.txt')]),
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('k2.json'), 'some text']),
      runInProcess(['detect', '--spec', p('spec.json'), '--key', p('key.json'), '--alpha', '2', 'x']),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^tracemark: ${p('bad.jsonl').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: malformed JSON line \\(.*\\)\\n$`));
    expect(nofield.code).toBe(2);
    expect(nofield.stderr).toBe(`tracemark: ${p('nofield.jsonl')}:2: field "text" is missing or not a string\n`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tracemark: text file not found: ${p('missing.txt')}\n`);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/wrong key: key fingerprint [0-9a-f]{32} does not match/);
    expect(wrong.stdout).toBe('');
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toBe('tracemark: --alpha must be a number in (0, 0.5], e.g. 1e-6 (got "2")\n');
  });
});
