/**
 * The server's small parts in isolation: stop matching across streamed deltas,
 * admission control, the chat template, API-key validation, request validation.
 */
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/server/apikeys.js';
import { CHAT_STOPS, renderChat } from '../src/server/chat-template.js';
import { CliError } from '@tracemark/detector';
import { ApiError } from '../src/server/errors.js';
import { Busy, Limiter } from '../src/server/limiter.js';
import { ChatRequestSchema, CompletionRequestSchema, parseRequest } from '../src/server/schemas.js';
import { StopMatcher } from '@tracemark/lm';

describe('StopMatcher', () => {
  const run = (stops: string[], deltas: string[]) => {
    const m = new StopMatcher(stops);
    const out = deltas.map((d) => m.push(d));
    return { out, flushed: m.flush(), stopped: m.stopped };
  };

  it('never releases a prefix of a stop string that a later delta completes', () => {
    const r = run(['END'], ['abc E', 'N', 'D more']);
    expect(r.out).toEqual(['abc ', '', '']);
    expect(r.stopped).toBe(true);
    expect(r.flushed).toBe('');
  });

  it('releases held text when the stop string does not materialise', () => {
    const r = run(['END'], ['abc E', 'NX', 'y']);
    expect(r.out.join('') + r.flushed).toBe('abc ENXy');
    expect(r.stopped).toBe(false);
    expect(run(['END'], ['abc EN']).flushed).toBe('EN'); // held at the end, released by flush
  });

  it('cuts at the earliest of several stops, inside one delta', () => {
    const r = run(['\nUser:', 'xyz'], ['hello xy', 'z then\nUser: hi']);
    expect(r.out.join('')).toBe('hello ');
    expect(r.stopped).toBe(true);
    expect(run([], ['a', 'b']).out).toEqual(['a', 'b']);
  });
});

describe('Limiter', () => {
  it('runs at most `concurrency`, queues FIFO up to `queue`, refuses beyond', async () => {
    const l = new Limiter(2, 1);
    const r1 = await l.acquire();
    const r2 = await l.acquire();
    const order: number[] = [];
    const w3 = l.acquire().then((rel) => (order.push(3), rel));
    await expect(l.acquire()).rejects.toBeInstanceOf(Busy);
    expect(l.active).toBe(2);
    expect(l.queued).toBe(1);
    r1();
    r1(); // releasing twice is harmless
    const r3 = await w3;
    expect(order).toEqual([3]);
    expect(l.active).toBe(2);
    r2();
    r3();
    expect(l.active).toBe(0);
  });

  it('a waiter that gives up leaves the queue', async () => {
    const l = new Limiter(1, 4);
    const r1 = await l.acquire();
    const ac = new AbortController();
    const w = l.acquire(ac.signal);
    ac.abort(new Error('client gone'));
    await expect(w).rejects.toThrow('client gone');
    expect(l.queued).toBe(0);
    r1();
    expect(l.active).toBe(0);
  });
});

describe('chat template', () => {
  it('renders roles as plain-text turns and ends with "Assistant:"', () => {
    const p = renderChat([
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: 'Use English.' },
      { role: 'user', content: [{ type: 'text', text: 'Hi ' }, { type: 'text', text: 'there' }] },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Bye' },
    ]);
    expect(p).toBe('System: Be brief.\nSystem: Use English.\nUser: Hi there\nAssistant: Hello.\nUser: Bye\nAssistant:');
    expect(CHAT_STOPS).toContain('\nUser:');
  });
});

describe('API keys file', () => {
  const parse = (obj: unknown, bits: number | null = null) => ApiKeys.parse(JSON.stringify(obj), 'keys.json', bits);
  const k = (i: number) => `sk-unit-test-key-${String(i).padStart(4, '0')}`;

  it('maps keys to accounts and never prints a key', () => {
    const keys = parse({ keys: [{ key: k(1), account: 'a', accountId: 1 }, { key: k(2), account: 'a', accountId: 1 }, { key: k(3), account: 'b', accountId: 2 }] });
    expect(keys.lookup(k(2))).toEqual({ account: 'a', accountId: 1 });
    expect(keys.lookup('sk-nope-nope-nope-nope')).toBeNull();
    expect(keys.accounts).toHaveLength(2);
    expect(JSON.stringify(keys)).not.toContain('sk-unit');
    expect(String((keys as unknown as { [k: symbol]: () => string })[Symbol.for('nodejs.util.inspect.custom')]!())).not.toContain('sk-unit');
  });

  it('refuses bad files with the entry named and the key not quoted', () => {
    const cases: [unknown, number | null, RegExp][] = [
      [{ keys: [{ key: k(1), account: 'a', accountId: 1 }, { key: k(1), account: 'b', accountId: 2 }] }, null, /keys\[1\] repeats an earlier key/],
      [{ keys: [{ key: k(1), account: 'a', accountId: 1 }, { key: k(2), account: 'b', accountId: 1 }] }, null, /accountId 1 is used by both a and b/],
      [{ keys: [{ key: k(1), account: 'a', accountId: 1 }, { key: k(2), account: 'a', accountId: 2 }] }, null, /account a is given two different accountIds/],
      [{ keys: [{ key: k(1), account: 'a', accountId: 70000 }] }, 16, /does not fit the spec's 16-bit payload/],
      [{ keys: [{ key: k(1), account: 'a' }] }, 16, /needs an accountId/],
      [{ keys: [{ key: 'short', account: 'a' }] }, null, /keys\[0\]\.key: key must be at least 16 characters/],
      [{ keys: [{ key: k(1), account: 'a,b' }] }, null, /keys\[0\]\.account: account must not contain commas/],
      [{ keys: [] }, null, /at least one key/],
      [{ keys: [{ key: k(1), account: 'a', extra: 1 }] }, null, /keys\[0\]/],
    ];
    for (const [obj, bits, re] of cases) {
      let err: unknown;
      try {
        parse(obj, bits);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('sk-unit');
    }
    expect(parse({ keys: [{ key: k(1), account: 'a' }] }).lookup(k(1))).toEqual({ account: 'a', accountId: null });
  });
});

describe('request validation', () => {
  const bad = (schema: typeof CompletionRequestSchema | typeof ChatRequestSchema, body: unknown): ApiError => {
    try {
      parseRequest(schema, body);
    } catch (e) {
      return e as ApiError;
    }
    throw new Error('expected a validation error');
  };

  it('accepts the OpenAI parameters it implements, at their documented ranges', () => {
    const r = parseRequest(CompletionRequestSchema, { model: 'm', prompt: ['a', 'b'], n: 2, stop: 'x', seed: 3, temperature: 0, top_p: 0.9, logprobs: null, presence_penalty: 0 });
    expect(r.n).toBe(2);
    const c = parseRequest(ChatRequestSchema, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 5, stream: true, stream_options: { include_usage: true }, response_format: { type: 'text' } });
    expect(c.max_completion_tokens).toBe(5);
  });

  it('names the offending parameter', () => {
    expect(bad(CompletionRequestSchema, { model: 'm', prompt: [1, 2] }).param).toBe('prompt');
    expect(bad(CompletionRequestSchema, { model: 'm', prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }).param).toBe('stop');
    expect(bad(CompletionRequestSchema, { model: 'm', prompt: 'x', top_p: 0 }).param).toBe('top_p');
    expect(bad(CompletionRequestSchema, { model: 'm', prompt: 'x', temperature: 2.5 }).param).toBe('temperature');
    expect(bad(ChatRequestSchema, { model: 'm', messages: [] }).param).toBe('messages');
    expect(bad(ChatRequestSchema, { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{}] }).message).toMatch(/tools is not supported/);
    expect(bad(ChatRequestSchema, { model: 'm', messages: [{ role: 'user', content: 5 }] }).param).toBe('messages.0.content');
    const e = bad(ChatRequestSchema, 'not an object');
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_body');
  });
});
