/**
 * The help's promises: `radioactivity --control` expects a control on the suspect's prompts
 * (a warning otherwise), and `probe --resume` continues a transcript only with the settings
 * it was made with (a refusal naming the differing setting; a moved endpoint URL is a warning).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, sha256Hex } from '@tracemark/detector';
import { generateKey, parseSpec } from '@tracemark/watermark';
import { controlOverlapWarning, controlPromptOverlap, endpointUrl, investigateRadioactivity, resumeSettingMismatch, runProbe, type TranscriptLine } from '../src/index.js';
import { requestBody } from '../src/probe/run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-control-resume-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recs = (prompts: string[]) => prompts.map((prompt) => ({ prompt }));

describe('radioactivity --control: prompt overlap', () => {
  it('counts distinct prompts by text and warns below half of either side', () => {
    const s = ['a', 'b', 'c', 'd', 'e'];
    expect(controlPromptOverlap(recs(s), recs(['x', 'y']))).toEqual({ suspectPrompts: 5, controlPrompts: 2, shared: 0 });
    expect(controlOverlapWarning(controlPromptOverlap(recs(s), recs(['x', 'y'])), 'c.jsonl')).toMatch(/^--control c\.jsonl: the control transcript shares no prompt with the suspect's \(2 vs 5 distinct prompts/);
    expect(controlOverlapWarning(controlPromptOverlap(recs(s), recs(['a', 'b', 'x', 'y'])), 'c.jsonl')).toMatch(/shares only 2 prompt\(s\)/);
    expect(controlOverlapWarning(controlPromptOverlap(recs(s), recs(['a', 'x'])), 'c.jsonl')).toMatch(/only 1 prompt/); // half of the control, not of the suspect
    expect(controlOverlapWarning(controlPromptOverlap(recs(s), recs(s)), 'c.jsonl')).toBeNull();
    expect(controlOverlapWarning(controlPromptOverlap(recs(s), recs(['a', 'b', 'c', 'q'])), 'c.jsonl')).toBeNull();
  });

  it('investigateRadioactivity warns once for a control on other prompts, never for one on the same prompts; the report is unchanged', async () => {
    const key = generateKey();
    const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
    const write = (name: string, prefix: string, n: number): string => {
      const p = join(dir, name);
      const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `p${i}`, prompt: `${prefix} question ${i}?`, text: `An answer about ${prefix} number ${i}, with a few more words to score.` }));
      writeFileSync(p, `${lines.join('\n')}\n`);
      return p;
    };
    const suspect = write('suspect.jsonl', 'river', 6);
    const same = write('same.jsonl', 'river', 6);
    const other = write('other.jsonl', 'mountain', 6);
    const base = { spec, key, transcript: suspect, variants: ['unfiltered'] as const, decoyKeys: [], decoySeed: '0'.repeat(64), alpha: 1e-6 };
    const warned: string[] = [];
    const r1 = await investigateRadioactivity({ ...base, control: other, warn: (m) => warned.push(m) });
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(`--control ${other}: the control transcript shares no prompt with the suspect's (6 vs 6 distinct prompts`);
    expect(r1.warnings).toEqual([]); // an input warning, not a failed negative control
    const r0 = await investigateRadioactivity({ ...base, control: other });
    expect(JSON.stringify(r0)).toBe(JSON.stringify(r1));
    const none: string[] = [];
    await investigateRadioactivity({ ...base, control: same, warn: (m) => none.push(m) });
    expect(none).toEqual([]);
  });
});

describe('probe --resume: generation settings', () => {
  const settings = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', endpoint: 'chat' as const, maxTokens: 128, temperature: 1 };
  const prompt = { id: 'p0', prompt: 'Say something.' };

  function transcriptWith(name: string, s: Parameters<typeof requestBody>[0], url = endpointUrl(settings.baseUrl, 'chat')): string {
    const body = requestBody(s, prompt.prompt);
    const responseBody = JSON.stringify({ choices: [{ message: { content: 'ok' } }] });
    const line: TranscriptLine = {
      type: 'tracemark-probe', version: 1, promptId: prompt.id, prompt: prompt.prompt, endpoint: s.endpoint, url, model: s.model,
      request: body, requestSha256: sha256Hex(JSON.stringify(body)), status: 200, responseBody, responseSha256: sha256Hex(responseBody),
      response: 'ok', finishReason: 'stop', responseModel: 'm', usage: null, startedAt: 't', finishedAt: 't', attempts: 1,
    };
    const p = join(dir, name);
    writeFileSync(p, `${JSON.stringify(line)}\n`);
    return p;
  }

  const resume = (transcript: string, over: Partial<Parameters<typeof runProbe>[0]> = {}, warn?: (m: string) => void) =>
    runProbe({
      ...settings, prompts: [prompt], transcript, resume: true, concurrency: 1, rps: 0,
      policy: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 1000 }, apiKey: undefined, signal: new AbortController().signal,
      ...(warn ? { warn } : {}), ...over,
    });

  const refusal = async (p: Promise<unknown>): Promise<CliError> => {
    const e = await p.then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    expect((e as CliError).message).not.toContain('\n');
    return e as CliError;
  };

  it('same settings: resumes (nothing left to ask)', async () => {
    const t = transcriptWith('same.jsonl', settings);
    const warned: string[] = [];
    const s = await resume(t, {}, (m) => warned.push(m));
    expect(s.alreadyDone).toBe(1);
    expect(s.requests).toBe(0);
    expect(warned).toEqual([]);
  });

  it('refuses, naming the setting, when max tokens, temperature, top-p or the system message differ', async () => {
    const t = transcriptWith('t07.jsonl', { ...settings, temperature: 0.7 });
    expect((await refusal(resume(t))).message).toBe(`${t}:1: made with --temperature 0.7; refusing to mix it with --temperature 1 (resume with the transcript's settings, or choose a new file)`);
    expect((await refusal(resume(transcriptWith('mt.jsonl', { ...settings, maxTokens: 64 })))).message).toMatch(/made with --max-tokens 64; refusing to mix it with --max-tokens 128/);
    expect((await refusal(resume(transcriptWith('tp.jsonl', { ...settings, topP: 0.9 })))).message).toMatch(/made with --top-p 0\.9; refusing to mix it with no --top-p/);
    expect((await refusal(resume(transcriptWith('tp2.jsonl', settings), { topP: 0.5 }))).message).toMatch(/made with no --top-p; refusing to mix it with --top-p 0\.5/);
    expect((await refusal(resume(transcriptWith('sys.jsonl', { ...settings, system: 'Be brief.' })))).message).toMatch(/made with --system "Be brief\."; refusing to mix it with no --system/);
    // model and endpoint: refused as before
    expect((await refusal(resume(transcriptWith('model.jsonl', { ...settings, model: 'other' })))).message).toMatch(/made with model "other" \(chat\)/);
  });

  it('a moved endpoint URL (same model and settings) is a warning, not a refusal', async () => {
    const t = transcriptWith('url.jsonl', settings, 'http://old.example:8000/v1/chat/completions');
    const warned: string[] = [];
    const s = await resume(t, {}, (m) => warned.push(m));
    expect(s.alreadyDone).toBe(1);
    expect(warned).toEqual([`${t}:1: answered at http://old.example:8000/v1/chat/completions; continuing at http://127.0.0.1:9/v1/chat/completions (same model name and generation settings: the endpoint moved)`]);
  });

  it('resumeSettingMismatch: null for equal settings, the first differing field otherwise', () => {
    const line = { prompt: 'x', request: requestBody({ ...settings, endpoint: 'completions' }, 'x') };
    expect(resumeSettingMismatch(line, { ...settings, endpoint: 'completions' })).toBeNull();
    expect(resumeSettingMismatch({ prompt: 'x', request: { ...line.request, seed: 3 } }, { ...settings, endpoint: 'completions' })).toEqual({ field: 'seed', recorded: 'request field "seed" = 3', now: 'no request field "seed"' });
  });
});
