/**
 * Durability and shutdown.
 *  - kill -9 in the middle of a load: every response a client received completely
 *    has its ledger row after the server restarts on the same ledger file;
 *  - SIGTERM: in-flight requests finish, new ones are refused, the process exits 0;
 *  - SIGTERM with a short deadline: the generation still running is aborted, its
 *    streamed part is recorded as "aborted", and the process still exits 0.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { Ledger } from '@tracemark/serve';
import { sha256Hex } from '@tracemark/detector';
import { makeFixture } from './helpers/fixtures.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

const MODEL = 'kn3-o200k_base-reference';

function clientFor(srv: ServeHandle, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: srv.baseURL, maxRetries: 0, timeout: 30_000 });
}

describe('kill -9 mid-load', () => {
  it('loses no completely received response', async () => {
    const fx = makeFixture({ seed: 'serve-crash' });
    const ledgerPath = join(fx.dir, 'ledger.sqlite');
    const args = ['--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', ledgerPath, '--max-concurrency', '4'];
    const srv = await startServe(args);
    const received: { account: string; text: string }[] = [];
    let failed = 0;
    let killed: Promise<void> | null = null;
    const THRESHOLD = 40;
    const deadline = Date.now() + 30_000;

    // Kill from inside a stream that is mid-flight, once enough responses are in:
    // that guarantees the kill lands during load, with requests in progress.
    const maybeKill = (): void => {
      if (killed === null && received.length >= THRESHOLD) killed = srv.kill9();
    };

    const worker = async (w: number): Promise<void> => {
      const acct = fx.apiKeys[w % fx.apiKeys.length]!;
      const c = clientFor(srv, acct.key);
      for (let i = 0; i < 500 && killed === null && Date.now() < deadline; i++) {
        try {
          if (i % 2 === 0) {
            const r = await c.completions.create({ model: MODEL, prompt: `Worker ${w} request ${i}: the road`, max_tokens: 48 });
            received.push({ account: acct.account, text: r.choices[0]!.text });
          } else {
            const s = await c.chat.completions.create({
              model: MODEL,
              messages: [{ role: 'user', content: `Worker ${w} asks question ${i}.` }],
              max_tokens: 48,
              stream: true,
            });
            let text = '';
            let finished = false;
            for await (const ch of s) {
              text += ch.choices[0]?.delta.content ?? '';
              if (ch.choices[0]?.finish_reason) finished = true;
              else maybeKill();
            }
            // The iterator ends normally only after `data: [DONE]`.
            if (finished) received.push({ account: acct.account, text });
          }
        } catch {
          failed++; // cut off by the kill: not completely received, not counted
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    expect(killed).not.toBeNull();
    await killed;
    expect(received.length).toBeGreaterThanOrEqual(THRESHOLD);
    expect(failed).toBeGreaterThan(0); // the kill really hit in-flight requests
    console.log(`[serve] kill -9 after ${received.length} complete responses; ${failed} requests cut off`);

    // Restart on the same ledger: it opens (WAL recovery) and serves again.
    const again = await startServe(args);
    try {
      const r = await clientFor(again, fx.apiKeys[0]!.key).completions.create({ model: MODEL, prompt: 'After the restart', max_tokens: 16 });
      received.push({ account: fx.apiKeys[0]!.account, text: r.choices[0]!.text });
      const ledger = Ledger.openForReading(ledgerPath);
      try {
        const missing = received.filter((x) => !ledger.lookupTextSha256(sha256Hex(x.text)).some((h) => h.account === x.account));
        expect(missing).toEqual([]);
        expect(ledger.stats().responses).toBeGreaterThanOrEqual(received.length);
      } finally {
        ledger.close();
      }
    } finally {
      expect((await again.stop()).code).toBe(0);
    }
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM lets an in-flight stream finish, refuses new work, exits 0', async () => {
    const fx = makeFixture({ seed: 'serve-term' });
    const ledgerPath = join(fx.dir, 'ledger.sqlite');
    const srv = await startServe(['--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', ledgerPath, '--shutdown-timeout', '60000']);
    const c = clientFor(srv, fx.apiKeys[0]!.key);
    // 4 prompts × 8 choices (tens of thousands of tokens): still running when SIGTERM lands.
    const stream = await c.completions.create({
      model: MODEL,
      prompt: ['It was a long day', 'The river', 'In the morning', 'She said'],
      n: 8,
      max_tokens: 2000,
      seed: 3,
      stream: true,
    });
    const texts: string[] = Array(32).fill('');
    const finish: (string | null)[] = Array(32).fill(null);
    let termSent = false;
    for await (const ch of stream) {
      const c0 = ch.choices[0];
      if (c0) {
        texts[c0.index] += c0.text;
        if (c0.finish_reason) finish[c0.index] = c0.finish_reason;
      }
      if (!termSent) {
        termSent = true;
        srv.proc.kill('SIGTERM');
        // Once the server says it is stopping, a new request is refused.
        for (let i = 0; i < 250 && !srv.events.some((e) => e.event === 'stopping'); i++) await new Promise((r) => setTimeout(r, 20));
        const status = await fetch(`${srv.url}/health`, { signal: AbortSignal.timeout(5_000) }).then(
          (r) => r.status,
          () => 'refused',
        );
        expect(['refused', 503]).toContain(status);
      }
    }
    // Every choice completed (finish chunk for each, then [DONE]) after the SIGTERM.
    expect(finish.every((f) => f === 'stop' || f === 'length')).toBe(true);
    const stopping = srv.events.find((e) => e.event === 'stopping')!;
    expect(stopping.inFlight).toBe(1);
    const exit = await srv.stop();
    expect(exit.code).toBe(0);
    expect(srv.events.some((e) => e.event === 'stopped')).toBe(true);
    expect(srv.events.some((e) => e.event === 'shutdown-abort')).toBe(false);
    const ledger = Ledger.openForReading(ledgerPath);
    try {
      expect(ledger.stats().responses).toBe(32);
      texts.forEach((t, i) => {
        const rows = ledger.lookupTextSha256(sha256Hex(t));
        expect(rows.length, `choice ${i}`).toBeGreaterThan(0);
        expect(rows.some((r) => r.choice === i && r.finishReason === finish[i])).toBe(true);
      });
    } finally {
      ledger.close();
    }
  });

  it('past the shutdown deadline a running generation is aborted and recorded as such', async () => {
    const fx = makeFixture({ seed: 'serve-deadline' });
    const ledgerPath = join(fx.dir, 'ledger.sqlite');
    const srv = await startServe(['--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', ledgerPath, '--shutdown-timeout', '300', '--max-tokens-limit', '1000000']);
    const c = clientFor(srv, fx.apiKeys[1]!.key);
    // 16 prompts × 8 choices × up to 2000 tokens: far longer than the 300 ms deadline.
    const stream = await c.completions.create({
      model: MODEL,
      prompt: Array.from({ length: 16 }, (_, i) => `Endless ${i}`),
      n: 8,
      max_tokens: 2000,
      seed: 1,
      stream: true,
    });
    const finished = new Set<number>();
    const gotText = new Set<number>();
    let error: unknown = null;
    try {
      let n = 0;
      for await (const ch of stream) {
        if (n++ === 0) srv.proc.kill('SIGTERM');
        const c0 = ch.choices[0];
        if (c0?.finish_reason) finished.add(c0.index);
        if (c0?.text) gotText.add(c0.index);
      }
    } catch (e) {
      error = e;
    }
    expect(finished.size).toBeLessThan(128);
    expect(error).not.toBeNull(); // the connection was cut without [DONE]
    expect((await srv.stop()).code).toBe(0);
    const ledger = Ledger.openForReading(ledgerPath);
    try {
      // Choices that finished have their rows; a choice cut off after some of its text
      // was sent is recorded as "aborted" (its windows did leave the server).
      const n = ledger.stats().responses;
      const rows = Array.from({ length: n }, (_, i) => ledger.entry(i + 1)!);
      expect(n).toBeGreaterThanOrEqual(finished.size);
      const aborted = rows.filter((r) => r.finishReason === 'aborted');
      expect(aborted.length).toBeLessThanOrEqual(1);
      const cut = [...gotText].filter((i) => !finished.has(i));
      expect(cut.length).toBeLessThanOrEqual(1);
      if (cut.length === 1) {
        expect(aborted.map((r) => r.choice)).toEqual(cut);
        expect(aborted[0]!.completionTokens).toBeGreaterThan(0);
        expect(ledger.windowsOf(aborted[0]!.seq).length).toBeGreaterThan(0);
      }
      console.log(`[serve] deadline abort: ${finished.size} choices finished, cut choice ${cut.join(',') || 'none'}, ${aborted.length} aborted row`);
    } finally {
      ledger.close();
    }
    expect(srv.events.some((e) => e.event === 'shutdown-abort')).toBe(true);
  });
});
