/**
 * `tracemark serve --upstream`: the proxy as a process in front of `tracemark serve`
 * emulating vLLM's Gumbel watermark (both child processes on 127.0.0.1 port 0, stopped
 * whatever happens). The openai client streams through it; the text carries the engine
 * watermark; SIGTERM stops the proxy gracefully; `ledger lookup` finds the text under
 * the client's account; the upstream key (from --upstream-key-env) is never printed.
 * Bad usage exits 2 with one line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { encode } from '@tracemark/lm';
import { Detector, sha256Hex } from '@tracemark/detector';
import { exportEngineKeyFile, generateEngineKey, parseEngineSpec, seededRng } from '@tracemark/watermark';
import { runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

const UPSTREAM_KEY = 'upstream-key-not-to-be-printed-42';
const dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-proxy-'));
const rng = seededRng('serve-proxy-cli');
const draft = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: '0'.repeat(32) });
const key = generateEngineKey(draft.engine, (n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256)));
const spec = parseEngineSpec({ version: 2, id: 'proxy-cli', tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: key.fingerprint });
const specPath = join(dir, 'spec.json');
const keyPath = join(dir, 'key.json');
const keysPath = join(dir, 'keys.json');
writeFileSync(specPath, JSON.stringify(spec));
writeFileSync(keyPath, JSON.stringify(exportEngineKeyFile(key, new Date(0))), { mode: 0o600 });
writeFileSync(keysPath, JSON.stringify({ keys: [{ key: 'sk-proxy-client-0123456789', account: 'acct-9', accountId: 9 }] }), { mode: 0o600 });
const base = ['serve', '--spec', specPath, '--key', keyPath];

const running: ServeHandle[] = [];
afterAll(async () => {
  for (const s of running) await s.stop().catch(() => {});
});

describe('tracemark serve --upstream', () => {
  it('bad usage → exit 2, one line, no key value', async () => {
    const bad: [string[], RegExp][] = [
      [['--upstream', 'ftp://127.0.0.1:1/v1'], /--upstream: upstream URL must be http or https/],
      [['--upstream', 'http://127.0.0.1:1/v1', '--upstream-key-env', 'TRACEMARK_TEST_UNSET_VAR'], /TRACEMARK_TEST_UNSET_VAR is not set or empty/],
      [['--upstream', 'http://127.0.0.1:1/v1', '--opt-out', 'maybe'], /--opt-out must be refuse or strip/],
      [['--upstream', 'http://127.0.0.1:1/v1', '--model', 'builtin'], /--model does not apply with --upstream/],
      [['--upstream', 'http://127.0.0.1:1/v1', '--rate-burst', '3'], /--rate-burst needs --rate-limit/],
      [['--rate-limit', '5'], /--rate-limit needs --upstream/],
      [['--opt-out', 'strip'], /--opt-out needs --upstream/],
    ];
    for (const [args, msg] of bad) {
      const r = await runInProcess([...base, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const fx = makeFixture({ seed: 'serve-proxy-v1' });
    const v1 = await runInProcess(['serve', '--spec', fx.specPath, '--key', fx.keyPath, '--upstream', 'http://127.0.0.1:1/v1']);
    expect(v1.code).toBe(2);
    expect(v1.stderr).toMatch(/--upstream needs an engine spec/);
  });

  it('openai client through the proxy process; watermark detected; SIGTERM → stopped; ledger lookup finds the account', async () => {
    const upstream = await startServe(['--spec', specPath, '--key', keyPath]);
    running.push(upstream);
    const ledgerPath = join(dir, 'proxy-ledger.sqlite');
    process.env.TRACEMARK_TEST_UPSTREAM_KEY = UPSTREAM_KEY; // inherited by the child
    let proxy: ServeHandle;
    try {
      proxy = await startServe([
        '--spec', specPath, '--key', keyPath, '--keys', keysPath, '--ledger', ledgerPath,
        '--upstream', `${upstream.url}/v1`, '--upstream-key-env', 'TRACEMARK_TEST_UPSTREAM_KEY', '--rate-limit', '50',
      ]);
    } finally {
      delete process.env.TRACEMARK_TEST_UPSTREAM_KEY;
    }
    running.push(proxy);
    expect(proxy.events[0]).toMatchObject({ event: 'listening', mode: 'proxy', upstream: `${upstream.url}/v1`, upstreamKey: true, scheme: 'vllm/gumbel', optOut: 'refuse', rateLimit: { perSecond: 50, burst: 50 } });

    const client = new OpenAI({ apiKey: 'sk-proxy-client-0123456789', baseURL: proxy.baseURL, maxRetries: 0, timeout: 60_000 });
    const model = (await client.models.list()).data[0]!.id;
    // Gumbel-max is deterministic given the context: some prompts lead straight to an
    // end of text. Take the first prompt whose answer (from the upstream directly) is long.
    const direct = new OpenAI({ apiKey: 'unused', baseURL: upstream.baseURL, maxRetries: 0, timeout: 60_000 });
    let prompt = '';
    let expected = '';
    for (const p of ['The history of the river valley', 'Chapter 3. When the rain came to the town', 'A letter to the editor about the new bridge', 'The committee met on Tuesday to discuss']) {
      const d = await direct.completions.create({ model, prompt: p, max_tokens: 160, temperature: 0.7, seed: 5 });
      if (d.choices[0]!.text.length > 300) {
        prompt = p;
        expected = d.choices[0]!.text;
        break;
      }
    }
    expect(prompt).not.toBe('');
    const s = await client.completions.create({ model, prompt, max_tokens: 160, temperature: 0.7, seed: 5, stream: true });
    let text = '';
    for await (const c of s) text += c.choices[0]?.text ?? '';
    expect(text).toBe(expected); // same seed, same text: the proxy passed it through unchanged
    const r = new Detector(spec, key).detect(text, { prompt: encode('o200k_base', prompt) });
    expect(r.log10P).toBeLessThan(-6);

    const stopped = await proxy.stop();
    expect(stopped.code).toBe(0);
    expect(proxy.events.at(-1)).toMatchObject({ event: 'stopped', ledgerRows: 1 });
    const out = JSON.stringify(proxy.events) + proxy.stderr();
    expect(out).not.toContain(UPSTREAM_KEY);

    const look = await runInProcess(['ledger', 'lookup', sha256Hex(text), '--ledger', ledgerPath, '--json']);
    expect(look.code).toBe(0);
    const found = JSON.parse(look.stdout) as { found: boolean; responses: { account: string; endpoint: string }[] };
    expect(found.found).toBe(true);
    expect(found.responses).toHaveLength(1);
    expect(found.responses[0]).toMatchObject({ account: 'acct-9', endpoint: 'completions' });
  }, 180_000);
});
