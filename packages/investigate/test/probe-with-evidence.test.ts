/**
 * probeWithEvidence against a local OpenAI-compatible stub: without evidence settings
 * it is the plain probe; with them it stops at the first answer that brings the
 * anytime-valid evidence to 1/α on a watermarked suspect, and not on an innocent one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder, generateKey, parseSpec, Watermark } from '@tracemark/watermark';
import { generateTextSync, referenceModel } from '@tracemark/lm';
import { probeWithEvidence } from '../src/index.js';

const key = generateKey();
const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 3 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
const N = 20;
const prompts = Array.from({ length: N }, (_, i) => ({ id: `p${i}`, prompt: `Tell me about item number ${i}.` }));
const answers = new Map<string, { marked: string; plain: string }>();
let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-probe-evidence-'));
  const model = referenceModel();
  const emb = new Embedder(new Watermark(spec, key));
  for (const [i, p] of prompts.entries()) {
    const gen = (watermark?: Embedder): string => generateTextSync({ model, watermark, prompt: p.prompt, maxTokens: 60, seed: `a:${i}` }).text;
    answers.set(p.prompt, { marked: gen(emb), plain: gen() });
  }
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: { content: string }[] };
      const a = answers.get(body.messages.at(-1)!.content)!;
      const content = body.model === 'clone' ? a.marked : a.plain;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'length' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const options = (model: string, transcript: string) => ({
  baseUrl: base,
  model,
  endpoint: 'chat' as const,
  prompts,
  transcript: join(dir, transcript),
  resume: false,
  maxTokens: 60,
  temperature: 1,
  concurrency: 1,
  rps: 0,
  policy: { retries: 0, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 10_000 },
  apiKey: undefined,
  signal: new AbortController().signal,
  warn: () => {},
});

describe('probeWithEvidence', () => {
  it('without evidence settings asks every prompt and adds no sequential result', async () => {
    const r = await probeWithEvidence(options('clone', 'plain.jsonl'));
    expect(r.answered).toBe(N);
    expect('sequential' in r).toBe(false);
  });

  it('stops a watermarked suspect as soon as the evidence crosses 1/α', async () => {
    const r = await probeWithEvidence(options('clone', 'clone.jsonl'), { spec, key, alpha: 1e-6 });
    const s = r.sequential!;
    expect(s.stop).toBe('evidence');
    expect(s.log10P).toBeLessThanOrEqual(-6);
    expect(r.answered).toBe(s.crossedAtResponse);
    expect(r.answered).toBeLessThan(N);
    // the transcript holds exactly the answers the test saw
    expect(readFileSync(join(dir, 'clone.jsonl'), 'utf8').trim().split('\n')).toHaveLength(r.answered);
  });

  it('lets an innocent suspect run out of prompts, and the query budget caps the run', async () => {
    const r = await probeWithEvidence(options('innocent', 'innocent.jsonl'), { spec, key, alpha: 1e-6 });
    expect(r.sequential!.stop).toBeNull();
    expect(r.answered).toBe(N);
    const capped = await probeWithEvidence(options('innocent', 'capped.jsonl'), { spec, key, alpha: 1e-6, maxQueries: 5 });
    expect(capped.sequential!.stop).toBe('max-queries');
    expect(capped.answered).toBe(5);
  });
});
