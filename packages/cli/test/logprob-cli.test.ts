/**
 * `probe --logprobs` and `radioactivity` through the program against our own watermarking
 * server (the built-in model, our key): the transcript records the top logprobs, the
 * radioactivity JSON carries the logprob test (schema-checked) and `--no-logprob-test`
 * drops it. Our server returns the unwatermarked distribution q (serve's logprobs.ts), so
 * its logprobs carry no green-list signal: the sampled-token test detects the watermarked
 * answers while the logprob test stays null — the logprobs do not leak the key.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServedModel, TracemarkServer } from '@tracemark/serve';
import { exportKeyFile, generateKey, parseSpec, Watermark } from '@tracemark/watermark';
import { TranscriptLineSchema } from '@tracemark/investigate';
import { RadioactivityOutputSchema } from '../src/schemas/investigate.js';
import { runInProcess } from './helpers/cli.js';

const key = generateKey();
const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 3 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
let dir: string;
let server: TracemarkServer;
let base: string;
let modelId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-logprob-cli-'));
  writeFileSync(join(dir, 'spec.json'), `${JSON.stringify(spec)}\n`);
  writeFileSync(join(dir, 'key.json'), `${JSON.stringify(exportKeyFile(key))}\n`);
  chmodSync(join(dir, 'key.json'), 0o600);
  const model = await loadServedModel('builtin', spec);
  modelId = model.id;
  server = new TracemarkServer({ wm: new Watermark(spec, key), model, host: '127.0.0.1', port: 0 });
  base = `${await server.listen()}/v1`;
});
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('probe --logprobs, radioactivity with the logprob test', () => {
  it('records top logprobs; the report has the logprob test (null on our own server) next to the sampled-token test', async () => {
    const t = join(dir, 'own.jsonl');
    const p = await runInProcess(['probe', '--base-url', base, '--model', modelId, '--transcript', t, '--builtin', '12', '--max-tokens', '60', '--logprobs', '4', '--json'], { timeoutMs: 150_000 });
    expect(p.code).toBe(0);
    const lines = readFileSync(t, 'utf8').trim().split('\n').map((l) => TranscriptLineSchema.parse(JSON.parse(l)));
    expect(lines.length).toBe(12);
    // one entry per generated token, each with 4 alternatives (an answer may end at once on
    // end-of-text: the server samples freshly each run, so that line has no entries)
    expect(lines.every((l) => l.logprobs !== undefined && l.logprobs.length === l.usage?.completion_tokens && l.logprobs.every((e) => e.top.length === 4))).toBe(true);
    expect(lines.filter((l) => l.logprobs!.length > 0).length).toBeGreaterThanOrEqual(10);
    const args = ['radioactivity', '--spec', join(dir, 'spec.json'), '--key', join(dir, 'key.json'), '--transcript', t, '--decoys', '5', '--json'];
    const r = await runInProcess(args, { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const out = RadioactivityOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.logprob!.map((v) => v.variant)).toEqual(['unfiltered']);
    const l = out.logprob![0]!.suspect;
    expect(l.responses).toEqual({ withLogprobs: 12, total: 12 });
    expect(l.test.windows).toBeGreaterThan(100);
    expect(l.verdict).toBe('not-detected');
    expect(out.variants[0]!.suspect.verdict).toBe('detected');
    expect(out.verdict).toBe('detected');
    const off = RadioactivityOutputSchema.parse(JSON.parse((await runInProcess([...args, '--no-logprob-test'], { timeoutMs: 60_000 })).stdout));
    expect(off.logprob).toBeUndefined();
    const text = await runInProcess(args.filter((a) => a !== '--json'), { timeoutMs: 60_000 });
    expect(text.stdout).toMatch(/^logprob\/unfil +\d+/m);
    expect(text.stdout).toMatch(/smallest of 2 tests, Bonferroni-corrected/);
    const bad = await runInProcess(['probe', '--base-url', base, '--model', modelId, '--transcript', join(dir, 'x.jsonl'), '--builtin', '2', '--logprobs', '21']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--logprobs/);
  }, 400_000);
});
