/**
 * Test helpers of the upstream proxy tests: servers on 127.0.0.1 port 0 (closed by the
 * caller in finally / afterAll), keys files, an engine spec and key from library calls
 * (what `spec init --engine` writes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenizer, vocabSizeOf } from '@tracemark/detector';
import { canonicalJson, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { specId } from '@tracemark/detector';
import { ApiKeys, type LedgerBinding } from '../src/index.js';

export const TOKENIZER = 'o200k_base';

export function engineMarking(engine: Record<string, unknown>, seed: string): { spec: EngineSpec; key: EngineKey; binding: LedgerBinding } {
  const rng = seededRng(seed);
  const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
  const draft = parseEngineSpec({ version: 2, tokenizer: TOKENIZER, engine, keyFingerprint: '0'.repeat(32) });
  const key = generateEngineKey(draft.engine, random);
  const spec = parseEngineSpec({ version: 2, id: seed, tokenizer: TOKENIZER, engine, keyFingerprint: key.fingerprint });
  return { spec, key, binding: { specId: specId(spec), keyFingerprint: key.fingerprint, specJson: canonicalJson(spec) } };
}

export const VOCAB = (): number => vocabSizeOf(TOKENIZER)!;

const tok = createTokenizer(TOKENIZER);
export const countTokens = (text: string): number => (text.length === 0 ? 0 : tok.encode(text).tokens.length);

export const KEYS = {
  alice: 'sk-alice-0123456789abcdef',
  bob: 'sk-bob-0123456789abcdef00',
};
export const apiKeys = (): ApiKeys =>
  ApiKeys.parse(
    JSON.stringify({
      keys: [
        { key: KEYS.alice, account: 'alice', accountId: 1 },
        { key: KEYS.bob, account: 'bob', accountId: 2 },
      ],
    }),
    'keys.json',
    null,
  );

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1, port 0. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>);
      } catch (e) {
        reject(e as Error);
      }
    });
    req.on('error', reject);
  });
}
