/**
 * With a payload in the spec, each account's numeric id is embedded in every
 * response it receives: the detector decodes the right id from each account's
 * served text (and the zero-bit test is significant for both).
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '@tracemark/detector';
import { makeFixture, type Fixture } from './helpers/fixtures.js';
import { startServe, type ServeHandle } from './helpers/serve.js';

let fx: Fixture;
let srv: ServeHandle;

beforeAll(async () => {
  fx = makeFixture({ seed: 'serve-payload', payload: { bits: 16, digitBits: 2 } });
  srv = await startServe(['--spec', fx.specPath, '--key', fx.keyPath, '--keys', fx.keysPath, '--ledger', join(fx.dir, 'ledger.sqlite')]);
});

afterAll(async () => {
  expect((await srv?.stop())?.code).toBe(0);
});

async function collect(apiKey: string, seed: number): Promise<string> {
  const c = new OpenAI({ apiKey, baseURL: srv.baseURL, maxRetries: 0, timeout: 30_000 });
  const r = await c.completions.create({
    model: 'kn3-o200k_base-reference',
    prompt: ['The report', 'Yesterday the', 'In his letter', 'Most of the'],
    n: 4,
    max_tokens: 120,
    seed,
  });
  return r.choices.map((ch) => ch.text).join('\n\n');
}

describe('payload = account id', () => {
  it('the detector decodes each account id from that account’s responses', async () => {
    expect(srv.events.find((e) => e.event === 'listening')?.payload).toBe(true);
    const det = new Detector(fx.spec, fx.key);
    for (const acct of [fx.apiKeys[0]!, fx.apiKeys[1]!]) {
      const text = await collect(acct.key, 9);
      const r = det.detect(text);
      expect(r.payload, 'payload result').toBeDefined();
      expect(r.payload!.message).toBe(String(acct.accountId));
      expect(r.log10P).toBeLessThan(-6);
    }
  });
});
