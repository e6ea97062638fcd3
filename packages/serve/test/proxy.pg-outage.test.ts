/**
 * The proxy on a PostgreSQL ledger while PostgreSQL goes away and comes back: a
 * response whose row cannot be committed is not completed (JSON: 500; stream: an error
 * event, no [DONE]) and leaves no row; once PostgreSQL is back, the same process
 * records again (the pool replaces its lost connections). Messages name the URL without
 * its password.
 */
import { afterAll, expect, it } from 'vitest';
import { createProxyHandler, lookupText, openLedgerStore, Upstream, type LedgerStore } from '../src/index.js';
import { sha256Hex } from '@tracemark/detector';
import { apiKeys, countTokens, engineMarking, KEYS, listen, type Listening } from './proxy-helpers.js';
import { describePostgres, usePostgres } from './helpers/postgres-vitest.js';

const server = usePostgres();
const mark = engineMarking({ scheme: 'vllm/gumbel' }, 'pg-outage');
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

let n = 0;
async function fakeUpstream(): Promise<Listening> {
  return listen((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { stream?: boolean };
      const text = `answer number ${++n}`;
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `up-${n}`, object: 'chat.completion', created: 1, model: 'fixed', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: `up-${n}`, object: 'chat.completion.chunk', created: 1, model: 'fixed', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id: `up-${n}`, object: 'chat.completion.chunk', created: 1, model: 'fixed', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
}

async function ask(url: string, stream: boolean): Promise<{ status: number; text: string; done: boolean; raw: string }> {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
    body: JSON.stringify({ model: 'fixed', messages: [{ role: 'user', content: 'hi' }], stream }),
  });
  const raw = await r.text();
  if (!stream) return { status: r.status, text: r.status === 200 ? (JSON.parse(raw) as { choices: { message: { content: string } }[] }).choices[0]!.message.content : '', done: r.status === 200, raw };
  let text = '';
  for (const b of raw.split('\n\n')) {
    const d = b.startsWith('data: ') ? b.slice(6) : '';
    if (d && d !== '[DONE]') text += (JSON.parse(d) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
  }
  return { status: r.status, text, done: raw.includes('data: [DONE]'), raw };
}

describePostgres('proxy on a PostgreSQL ledger: PostgreSQL down, then back', () => {
  it('no response completes without its row; recording resumes when PostgreSQL is back', async () => {
    const url = await server().createDatabase('outage');
    const warnings: string[] = [];
    const logs: string[] = [];
    const ledger = await openLedgerStore(url, { binding: mark.binding, warn: (m) => warnings.push(m) });
    const up = await fakeUpstream();
    closers.push(() => up.close());
    const h = createProxyHandler({ upstream: new Upstream({ baseUrl: `${up.url}/v1`, apiKey: null, timeoutMs: 5000 }), countTokens, apiKeys: apiKeys(), ledger, log: (e) => logs.push(JSON.stringify(e)) });
    closers.push(() => h.close());
    const proxy = await listen(h);
    closers.push(() => proxy.close());

    const before = [await ask(proxy.url, false), await ask(proxy.url, true)];
    expect(before.map((r) => [r.status, r.done])).toEqual([[200, true], [200, true]]);

    server().crash();
    const during = [await ask(proxy.url, false), await ask(proxy.url, true)];
    expect(during[0]!.status).toBe(500);
    expect(JSON.parse(during[0]!.raw)).toMatchObject({ error: { code: 'internal_error' } });
    expect(during[1]!.done).toBe(false); // the stream ends with an error event, never [DONE]
    expect(during[1]!.raw).toMatch(/"code":"internal_error"/);
    server().restart();

    const after = [await ask(proxy.url, false), await ask(proxy.url, true)];
    expect(after.map((r) => [r.status, r.done])).toEqual([[200, true], [200, true]]);
    await h.close();

    const store: LedgerStore = await openLedgerStore(url);
    try {
      for (const r of [...before, ...after]) expect((await lookupText(store, sha256Hex(r.text))).responses).toHaveLength(1);
      // The upstream did answer during the outage; those texts have no row.
      for (const text of ['answer number 3', 'answer number 4']) expect((await lookupText(store, sha256Hex(text))).found).toBe(false);
      expect((await store.stats()).responses).toBe(4);
    } finally {
      await store.close();
    }
    const all = [...warnings, ...logs].join('\n');
    expect(all).toMatch(/postgres:\/\/tracemark:\*\*\*@127\.0\.0\.1/);
    expect(all).not.toContain(server().password);
  }, 120_000);
});
