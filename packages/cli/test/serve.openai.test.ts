/**
 * `tracemark serve` end to end with the official `openai` npm client: a spawned CLI
 * server on a loopback port, completions and chat, streaming and not; the texts it
 * returns are detected with the server's spec and key; the ledger holds one row per
 * choice (SHA-256 of the returned text, right account); and the filter exported
 * from the ledger sharpens detection on text that mixes served output with human text.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { generateText, referenceModel } from '@tracemark/lm';
import { Embedder, Watermark } from '@tracemark/watermark';
import { loadFilter, Ledger } from '@tracemark/serve';
import { sha256Hex } from '@tracemark/detector';
import { runInProcess } from './helpers/cli.js';
import { TestDetector } from './helpers/detect.js';
import { makeFixture, testKey, type Fixture } from './helpers/fixtures.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

interface Served {
  account: string;
  text: string;
}

let fx: Fixture;
let srv: ServeHandle;
let ledgerPath: string;
let alice: OpenAI; // acct-17
let bob: OpenAI; // acct-23
let model: string;
const served: Served[] = [];

const client = (srv: ServeHandle, apiKey: string): OpenAI => new OpenAI({ apiKey, baseURL: srv.baseURL, maxRetries: 0, timeout: 30_000 });

beforeAll(async () => {
  // Context width 2 (left): a window is the pair of preceding tokens, so the filter
  // from the ledger is selective (with h = 1 every common token would be in it).
  fx = makeFixture({ seed: 'serve-openai', context: { width: 2, mode: 'left' } });
  ledgerPath = join(fx.dir, 'ledger.sqlite');
  srv = await startServe(['--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', ledgerPath]);
  alice = client(srv, fx.apiKeys[0]!.key);
  bob = client(srv, fx.apiKeys[1]!.key);
});

afterAll(async () => {
  const r = await srv?.stop();
  expect(r?.code).toBe(0);
});

describe('OpenAI API surface', () => {
  it('lists the served model', async () => {
    const page = await alice.models.list();
    expect(page.data).toHaveLength(1);
    model = page.data[0]!.id;
    expect(model).toBe('kn3-o200k_base-reference');
    expect((await alice.models.retrieve(model)).id).toBe(model);
  });

  it('completions (non-streaming, n = 2) return watermarked choices and usage', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await alice.completions.create({
        model,
        prompt: `Chapter ${i + 1}. The history of the river`,
        max_tokens: 64,
        n: 2,
        seed: 100 + i,
        temperature: 1,
      });
      expect(r.object).toBe('text_completion');
      expect(r.id).toMatch(/^cmpl-/);
      expect(r.choices.map((c) => c.index)).toEqual([0, 1]);
      expect(r.choices[0]!.text).not.toBe(r.choices[1]!.text);
      let completion = 0;
      for (const c of r.choices) {
        expect(['stop', 'length']).toContain(c.finish_reason);
        served.push({ account: 'acct-17', text: c.text });
      }
      completion = r.usage!.completion_tokens;
      expect(completion).toBeGreaterThan(64); // two choices, mostly full length
      expect(completion).toBeLessThanOrEqual(128);
      expect(r.usage!.prompt_tokens).toBeGreaterThan(3);
      expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + completion);
    }
  });

  it('chat completions (non-streaming) answer as the assistant', async () => {
    const r = await alice.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'You are a historian.' },
        { role: 'user', content: 'Tell me about the old city walls.' },
      ],
      max_completion_tokens: 64,
      seed: 7,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    const c = r.choices[0]!;
    expect(c.message.role).toBe('assistant');
    expect(typeof c.message.content).toBe('string');
    expect(c.message.content!.length).toBeGreaterThan(0);
    expect(c.message.content).toBe(c.message.content!.trimStart());
    served.push({ account: 'acct-17', text: c.message.content! });
  });

  it('completions stream as SSE chunks ending in a finish reason, usage and [DONE]', async () => {
    const stream = await alice.completions.create({
      model,
      prompt: 'In the spring of that year the council',
      max_tokens: 64,
      seed: 11,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const ch of stream) {
      chunks++;
      if (ch.usage) usage = ch.usage;
      for (const c of ch.choices) {
        text += c.text;
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    expect(chunks).toBeGreaterThan(10);
    expect(['stop', 'length']).toContain(finish);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    served.push({ account: 'acct-17', text });
  });

  it('chat streams deltas whose concatenation is the message', async () => {
    const stream = await alice.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Describe the harbour at dawn.' }],
      max_tokens: 64,
      seed: 12,
      stream: true,
    });
    let text = '';
    let role: string | undefined;
    let finish: string | null = null;
    for await (const ch of stream) {
      for (const c of ch.choices) {
        role ??= c.delta.role;
        text += c.delta.content ?? '';
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    expect(role).toBe('assistant');
    expect(['stop', 'length']).toContain(finish);
    expect(text.length).toBeGreaterThan(0);
    served.push({ account: 'acct-17', text });
  });

  it('a seed reproduces a response; stop cuts it exactly before the stop string', async () => {
    const ask = (extra: Partial<OpenAI.CompletionCreateParamsNonStreaming>) =>
      alice.completions.create({ model, prompt: 'The committee met on Tuesday and', max_tokens: 64, seed: 42, ...extra });
    const a = await ask({});
    const b = await ask({});
    const full = a.choices[0]!.text;
    expect(b.choices[0]!.text).toBe(full);
    served.push({ account: 'acct-17', text: full });
    // A stop string taken from the middle of the text: the same seed regenerates the
    // same tokens, so the answer must be exactly the text before its first occurrence.
    const stopStr = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 4);
    expect(stopStr.length).toBe(4);
    const s = await ask({ stop: [stopStr, 'zzzz-never'] });
    expect(s.choices[0]!.text).toBe(full.slice(0, full.indexOf(stopStr)));
    expect(s.choices[0]!.finish_reason).toBe('stop');
    // The stopped text was also issued: the ledger must know it.
    served.push({ account: 'acct-17', text: s.choices[0]!.text });
    // Streaming with the same stop gives the same text (held-back prefixes are not leaked).
    const stream = await alice.completions.create({
      model,
      prompt: 'The committee met on Tuesday and',
      max_tokens: 64,
      seed: 42,
      stop: [stopStr, 'zzzz-never'],
      stream: true,
    });
    let streamed = '';
    for await (const ch of stream) streamed += ch.choices[0]?.text ?? '';
    expect(streamed).toBe(s.choices[0]!.text);
  });

  it('draws exactly what the lm package’s generateText draws for the same seed', async () => {
    const prompt = 'The old mill by the river';
    const r = await alice.completions.create({ model, prompt, max_tokens: 50, seed: 77 });
    const ref = await generateText({
      model: referenceModel(),
      watermark: new Embedder(new Watermark(fx.spec, fx.key)),
      prompt,
      maxTokens: 50,
      seed: 77,
    });
    expect(r.choices[0]!.text).toBe(ref.text);
    expect(r.usage!.completion_tokens).toBe(ref.tokens.length);
    served.push({ account: 'acct-17', text: r.choices[0]!.text });
  });

  it('another account gets its own responses', async () => {
    // (Without a payload in the spec, the same seed and prompt would give bob alice's text.)
    const r = await bob.completions.create({ model, prompt: 'A letter from the mayor', max_tokens: 64, seed: 5 });
    expect(r.choices[0]!.text.length).toBeGreaterThan(0);
    served.push({ account: 'acct-23', text: r.choices[0]!.text });
  });
});

describe('watermark, ledger and filter', () => {
  it('every served text is detected with the server spec and key, not with a decoy key', () => {
    const det = new TestDetector(fx.spec, fx.key);
    const all = served.map((s) => s.text).join('\n\n');
    const r = det.detect(all);
    // Same numbers as the detector's own per-text API.
    const ref = det.detector.detect(all);
    expect(r.scored).toBe(ref.scored);
    expect(r.lnP).toBeCloseTo(ref.lnP, 9);
    expect(r.scored).toBeGreaterThan(400);
    expect(r.log10P).toBeLessThan(-20);
    for (const s of served) {
      const one = det.detect(s.text);
      if (one.scored >= 30) expect(one.log10P).toBeLessThan(-3);
    }
    // Negative control: the same text under an unrelated key is not significant.
    const decoyKey = testKey('decoy');
    const decoy = new TestDetector({ ...fx.spec, keyFingerprint: decoyKey.fingerprint }, decoyKey);
    expect(decoy.detect(all).log10P).toBeGreaterThan(-4);
  });

  it('the ledger holds every returned text (SHA-256) under the right account', () => {
    const ledger = Ledger.openForReading(ledgerPath);
    try {
      for (const s of served) {
        const hits = ledger.lookupTextSha256(sha256Hex(s.text));
        expect(hits.length, `no ledger row for: ${s.text.slice(0, 40)}`).toBeGreaterThan(0);
        expect(hits.every((h) => h.account === s.account)).toBe(true);
        expect(hits[0]!.accountId).toBe(s.account === 'acct-17' ? 17 : 23);
        expect(hits[0]!.modelId).toBe(model);
        expect(hits[0]!.windowCount).toBeGreaterThan(0);
      }
      expect(ledger.lookupTextSha256(sha256Hex('never issued'))).toEqual([]);
    } finally {
      ledger.close();
    }
  });

  it('`ledger lookup` answers who got a text and when (exit 0), and says no otherwise (exit 1)', async () => {
    const s = served[0]!;
    const hit = await runInProcess(['ledger', 'lookup', '--ledger', ledgerPath, '--json', '--text', s.text]);
    expect(hit.code).toBe(0);
    const j = JSON.parse(hit.stdout) as { found: boolean; sha256: string; responses: { account: string; createdAt: string }[] };
    expect(j.found).toBe(true);
    expect(j.sha256).toBe(sha256Hex(s.text));
    expect(j.responses[0]!.account).toBe('acct-17');
    expect(Number.isFinite(Date.parse(j.responses[0]!.createdAt))).toBe(true);
    const bySha = await runInProcess(['ledger', 'lookup', sha256Hex(s.text), '--ledger', ledgerPath]);
    expect(bySha.code).toBe(0);
    expect(bySha.stdout).toContain('account acct-17 (id 17)');
    const miss = await runInProcess(['ledger', 'lookup', 'a text we never sent', '--ledger', ledgerPath]);
    expect(miss.code).toBe(1);
    expect(miss.stdout).toContain('not issued');
  });

  it('the exported filter sharpens detection on served text mixed with human text', async () => {
    const out = join(fx.dir, 'alice.bin');
    const r = await runInProcess(['ledger', 'export-filter', '--ledger', ledgerPath, '--accounts', 'acct-17', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const filter = loadFilter(out);
    expect(filter.specId).toMatch(/^[0-9a-f]{64}$/);
    expect(filter.header.accounts).toEqual(['acct-17']);
    expect(filter.size).toBeGreaterThan(300);

    const det = new TestDetector(fx.spec, fx.key);
    const mine = served.filter((s) => s.account === 'acct-17').map((s) => s.text);
    // On the server's own output the filter holds (nearly) every window: little changes.
    const own = mine.join('\n\n');
    const ownPlain = det.detect(own);
    const ownFiltered = det.detect(own, filter);
    expect(ownFiltered.scored).toBeGreaterThan(0.9 * ownPlain.scored);

    // Mixed text: human paragraphs (held-out corpus, never served) around the served texts.
    const human = humanText({ split: 'heldout' }).slice(0, 12).map((d) => d.text.slice(0, 2000));
    const parts: string[] = [];
    for (let i = 0; i < Math.max(human.length, mine.length); i++) {
      if (human[i] !== undefined) parts.push(human[i]!);
      if (mine[i] !== undefined) parts.push(mine[i]!);
    }
    const mixed = parts.join('\n\n');
    const plain = det.detect(mixed);
    const filtered = det.detect(mixed, filter);
    // Human positions whose window we never sent carry no signal: dropping them leaves
    // the same watermarked evidence against a smaller null, so p gets smaller.
    expect(filtered.scored).toBeLessThan(plain.scored);
    expect(filtered.log10P).toBeLessThan(plain.log10P);
    // And on human text alone the filter keeps few positions and finds nothing.
    const humanOnly = human.join('\n\n');
    const hPlain = det.detect(humanOnly);
    const hFiltered = det.detect(humanOnly, filter);
    expect(hFiltered.scored).toBeLessThan(0.5 * hPlain.scored);
    expect(hFiltered.log10P).toBeGreaterThan(-4);
    console.log(
      `[serve] mixed text: unfiltered ${plain.scored} scored, log10 p ${plain.log10P.toFixed(2)}; ` +
        `filtered ${filtered.scored} scored, log10 p ${filtered.log10P.toFixed(2)}; ` +
        `human only: ${hPlain.scored} → ${hFiltered.scored} scored`,
    );
  });
});
