/**
 * The logprob test end to end (docs/RADIOACTIVITY.md §4c): Kneser–Ney students distilled
 * from our watermarked answers (ρ = 1) or from human text only (ρ = 0) are saved as model
 * files and stood up behind `tracemark serve` (watermarking with the suspect's own key, as
 * a real suspect endpoint might); `probe --logprobs 5` asks them prompts the harvest never
 * used over HTTP; `radioactivity` picks the logprob test up from the transcript. The clone
 * is detected by the logprob test, the human-text student is not, decoys stay null. Also:
 * the transcript round trip of the logprobs and the chat/completions parsing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanText, promptSet } from '@tracemark/corpora';
import { distil, encodeKnFile, harvest, referenceModel } from '@tracemark/lm';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { loadServedModel, TracemarkServer } from '@tracemark/serve';
import { generateKey, parseSpec, Watermark, WatermarkKey } from '@tracemark/watermark';
import { bytesFromTokenText, choiceLogprobs, evidenceRecords, investigateRadioactivity, runProbe, TranscriptLineSchema } from '../src/index.js';

const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 7) & 0xff));
const SPEC = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint });
const DECOYS = Array.from({ length: 8 }, (_, i) => new WatermarkKey(Uint8Array.from({ length: 32 }, (_, j) => (j * 13 + i * 29 + 3) & 0xff)));
const dir = mkdtempSync(join(tmpdir(), 'tracemark-logprob-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const teacher = referenceModel();
const human = humanText({ split: 'train' }).map((d) => d.text);
const served = harvest({ teacher, spec: SPEC, key: KEY, prompts: promptSet(150, 21), maxTokens: 120, seed: 9 });
// probe prompts drawn with another seed than the harvest's
const probePrompts = promptSet(30, 303).map((prompt, i) => ({ id: `q${i}`, prompt }));

/** Save a student, serve it (its own random watermark key), probe it with logprobs; the transcript path. */
async function probeStudent(name: string, rho: number): Promise<string> {
  const file = join(dir, `${name}.tmkn`);
  writeFileSync(file, encodeKnFile(distil({ harvested: served, humanText: human, rho, seed: 4 }).model.data, { corpusFingerprint: 'test', params: { rho } }));
  const ownKey = generateKey();
  const ownSpec = parseSpec({ ...SPEC, keyFingerprint: ownKey.fingerprint });
  const model = await loadServedModel(file, ownSpec);
  const server = new TracemarkServer({ wm: new Watermark(ownSpec, ownKey), model, host: '127.0.0.1', port: 0 });
  const url = await server.listen();
  const transcript = join(dir, `${name}.jsonl`);
  try {
    const s = await runProbe({
      baseUrl: `${url}/v1`,
      model: model.id,
      endpoint: 'chat',
      prompts: probePrompts,
      transcript,
      resume: false,
      maxTokens: 80,
      temperature: 1,
      logprobs: 5,
      concurrency: 2,
      rps: 0,
      policy: { retries: 0, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 30_000 },
      apiKey: undefined,
      signal: new AbortController().signal,
    });
    expect(s.answered).toBe(probePrompts.length);
  } finally {
    await server.shutdown();
  }
  return transcript;
}

describe('logprob test end to end: tracemark serve a KN student, probe --logprobs, radioactivity', () => {
  it('detects the clone (ρ = 1), not the human-text student (ρ = 0); decoys null', async () => {
    const clone = await probeStudent('clone', 1);
    const innocent = await probeStudent('innocent', 0);
    const line = TranscriptLineSchema.parse(JSON.parse(readFileSync(clone, 'utf8').split('\n')[0]!));
    expect(line.request.logprobs).toBe(true);
    expect(line.request.top_logprobs).toBe(5);
    expect(line.logprobs!.length).toBeGreaterThan(0);
    expect(line.logprobs![0]!.top.length).toBe(5);
    const base = { spec: SPEC, key: KEY, variants: ['unfiltered'] as const, decoyKeys: DECOYS, decoySeed: '0'.repeat(64), alpha: 1e-6 };
    const r = await investigateRadioactivity({ ...base, transcript: clone, control: innocent });
    const l = r.logprob![0]!;
    expect(l.variant).toBe('unfiltered');
    const sampled = r.variants[0]!.suspect.pooled;
    console.log(
      `clone: logprob ${l.suspect.test.windows} windows, mass ${l.suspect.test.mean.toFixed(3)}, log10 p ${l.suspect.test.log10P.toFixed(1)}; sampled ${sampled.scored} tuples, log10 p ${sampled.log10P.toFixed(1)}; ` +
        `control logprob log10 p ${l.control!.test.log10P.toFixed(2)}; unknown tokens ${l.suspect.tokens.unknownTokens}/${l.suspect.tokens.tokens}`,
    );
    expect(l.suspect.responses).toEqual({ withLogprobs: probePrompts.length, total: probePrompts.length });
    expect(l.suspect.tokens.unknownTokens).toBe(0);
    expect(l.suspect.verdict).toBe('detected');
    expect(l.suspect.decoys.significant).toBe(0);
    expect(l.control!.verdict).toBe('not-detected');
    expect(l.control!.test.log10P).toBeGreaterThan(-3);
    expect(l.control!.decoys.significant).toBe(0);
    // two tests (sampled, logprob): Bonferroni ×2
    expect(r.combinedLnP).toBeCloseTo(Math.min(0, Math.min(sampled.lnP, l.suspect.test.lnP) + Math.LN2), 9);
    expect(r.verdict).toBe('detected');
    expect(r.controlsOk).toBe(true);
    const off = await investigateRadioactivity({ ...base, transcript: clone, logprobTest: 'off' });
    expect(off.logprob).toBeUndefined();
    expect(off.combinedLnP).toBeCloseTo(sampled.lnP, 9);
    // with the unsupervised filter too: the logprob test runs per variant, four tests in the Bonferroni verdict
    const teacherOpts = { model: 'builtin', responsesPerPrompt: 1, maxTokens: 80, temperature: 1, seed: 1 };
    const u = await investigateRadioactivity({ ...base, variants: ['unfiltered', 'unsupervised'], teacher: teacherOpts, transcript: clone });
    expect(u.logprob!.map((v) => [v.variant, v.suspect.filter?.name ?? null])).toEqual([['unfiltered', null], ['unsupervised', 'unsupervised']]);
    const lu = u.logprob![1]!.suspect;
    expect(lu.accounting.unselected).toBeGreaterThan(0);
    expect(lu.test.windows).toBeLessThan(l.suspect.test.windows);
    console.log(`clone, unsupervised filter: logprob ${lu.test.windows} windows, log10 p ${lu.test.log10P.toFixed(1)}; sampled log10 p ${u.variants[1]!.suspect.pooled.log10P.toFixed(1)}`);
    const lnPs = [...u.variants.map((v) => v.suspect.pooled.lnP), ...u.logprob!.map((v) => v.suspect.test.lnP)];
    expect(u.combinedLnP).toBeCloseTo(Math.min(0, Math.min(...lnPs) + Math.log(4)), 9);
    const alone = await investigateRadioactivity({ ...base, transcript: innocent });
    expect(alone.logprob![0]!.suspect.verdict).toBe('not-detected');
    expect(alone.verdict).toBe('not-detected');
  }, 240_000);
});

describe('logprob test through an ONNX model and the completions endpoint (hf: tokenizer)', () => {
  it('serves logprobs from the model\'s logits, maps the returned token texts back to ids, runs the test; the unwatermarked logprobs are null', async () => {
    const modelDir = join(dir, 'tiny-onnx');
    await writeTinyCausalLM(modelDir, { vocabSize: 256, hidden: 16, seed: 3 });
    const key = generateKey();
    const spec = parseSpec({ version: 1, tokenizer: `hf:${modelDir}`, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
    const model = await loadServedModel(modelDir, spec);
    const server = new TracemarkServer({ wm: new Watermark(spec, key), model, host: '127.0.0.1', port: 0 });
    const url = await server.listen();
    const transcript = join(dir, 'tiny.jsonl');
    try {
      await runProbe({
        baseUrl: `${url}/v1`, model: model.id, endpoint: 'completions', prompts: ['ba be', 'ko mu', 'la pe ri', 'sa to', 'vi ze', 'mo na'].map((prompt, i) => ({ id: `t${i}`, prompt })),
        transcript, resume: false, maxTokens: 40, temperature: 1, logprobs: 3, concurrency: 1, rps: 0,
        policy: { retries: 0, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 60_000 }, apiKey: undefined, signal: new AbortController().signal,
      });
    } finally {
      await server.shutdown();
    }
    const line = TranscriptLineSchema.parse(JSON.parse(readFileSync(transcript, 'utf8').split('\n')[0]!));
    expect(line.request.logprobs).toBe(3);
    expect(line.logprobs!.length).toBeGreaterThan(0);
    expect(line.logprobs!.every((e) => e.top.length === 3 && e.logprob !== null && e.logprob <= 0)).toBe(true);
    const r = await investigateRadioactivity({ spec, key, transcript, variants: ['unfiltered'], decoyKeys: DECOYS.slice(0, 3), decoySeed: '0'.repeat(64), alpha: 1e-6 });
    const l = r.logprob![0]!.suspect;
    console.log(`tiny ONNX: ${l.tokens.tokens} tokens (${l.tokens.unknownTokens} unknown), ${l.test.windows} windows, log10 p ${l.test.log10P.toFixed(2)}`);
    expect(l.responses.withLogprobs).toBe(6);
    expect(l.tokens.unknownTokens).toBeLessThan(l.tokens.tokens / 2);
    expect(l.test.windows).toBeGreaterThan(20);
    expect(l.verdict).toBe('not-detected');
  }, 180_000);
});

describe('logprobs in transcripts', () => {
  it('parses the chat and the completions shapes; a transcript line without logprobs stays readable', () => {
    const chat = choiceLogprobs('chat', {
      logprobs: { content: [{ token: ' a', logprob: -0.1, bytes: [32, 97], top_logprobs: [{ token: ' a', logprob: -0.1, bytes: [32, 97] }, { token: ' b', logprob: -2.5, bytes: null }] }] },
    });
    expect(chat).toEqual([{ token: ' a', bytes: [32, 97], logprob: -0.1, top: [{ token: ' a', bytes: [32, 97], logprob: -0.1 }, { token: ' b', bytes: null, logprob: -2.5 }] }]);
    const comp = choiceLogprobs('completions', { logprobs: { tokens: [' x', 'bytes:\\xe2\\x80'], token_logprobs: [-1, null], top_logprobs: [{ ' x': -1, ' y': -1.5 }, null], text_offset: [0, 2] } });
    expect(comp).toEqual([
      { token: ' x', bytes: null, logprob: -1, top: [{ token: ' x', bytes: null, logprob: -1 }, { token: ' y', bytes: null, logprob: -1.5 }] },
      { token: 'bytes:\\xe2\\x80', bytes: [0xe2, 0x80], logprob: null, top: [] },
    ]);
    expect(bytesFromTokenText('bytes:\\xff')).toEqual([255]);
    expect(bytesFromTokenText('plain')).toBeNull();
    expect(choiceLogprobs('chat', { logprobs: null })).toBeNull();
    const old = {
      type: 'tracemark-probe', version: 1, promptId: 'p', prompt: 'hi', endpoint: 'chat', url: 'http://x/v1/chat/completions', model: 'm', request: {},
      requestSha256: 'a'.repeat(64), status: 200, responseBody: '{}', responseSha256: 'b'.repeat(64), response: 'yo', finishReason: 'stop', responseModel: 'm',
      usage: null, startedAt: 't', finishedAt: 't', attempts: 1,
    };
    const recs = evidenceRecords(Buffer.from(`${JSON.stringify(old)}\n`), 'old.jsonl');
    expect(recs[0]!.logprobs).toBeUndefined();
    const withLp = evidenceRecords(Buffer.from(`${JSON.stringify({ ...old, logprobs: chat })}\n`), 'new.jsonl');
    expect(withLp[0]!.logprobs).toEqual(chat);
  });
});
