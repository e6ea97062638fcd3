/**
 * Test fixtures: a spec, its key file and an API keys file in a temporary directory.
 * Keys come from a fixed-seed generator so runs are reproducible (test keys only).
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exportKeyFile,
  generateKey,
  parseSpec,
  seededRng,
  type WatermarkKey,
  type WatermarkSpec,
  type WatermarkSpecInput,
} from '@tracemark/watermark';

export interface ApiKeyEntry {
  key: string;
  account: string;
  accountId: number;
}

export interface Fixture {
  dir: string;
  specPath: string;
  keyPath: string;
  keysPath: string;
  spec: WatermarkSpec;
  key: WatermarkKey;
  apiKeys: ApiKeyEntry[];
}

/** A deterministic key from a seed (never do this outside tests). */
export function testKey(seed: string): WatermarkKey {
  const rng = seededRng(seed);
  return generateKey((n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256)));
}

export function makeFixture(
  opts: { seed?: string; tokenizer?: string; scheme?: WatermarkSpecInput['scheme']; context?: WatermarkSpecInput['context']; payload?: WatermarkSpecInput['payload'] } = {},
): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-'));
  const key = testKey(opts.seed ?? 'serve-test-key');
  const spec = parseSpec({
    version: 1,
    id: 'serve-test',
    tokenizer: opts.tokenizer ?? 'o200k_base',
    scheme: opts.scheme ?? { name: 'kgw', gamma: 0.25, delta: 2 },
    context: opts.context ?? { width: 1, mode: 'left' },
    payload: opts.payload ?? null,
    keyFingerprint: key.fingerprint,
  });
  const specPath = join(dir, 'spec.json');
  const keyPath = join(dir, 'key.json');
  const keysPath = join(dir, 'api-keys.json');
  writeFileSync(specPath, JSON.stringify(spec, null, 2));
  writeFileSync(keyPath, JSON.stringify(exportKeyFile(key, new Date(0))), { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const apiKeys: ApiKeyEntry[] = [
    { key: 'sk-test-alpha-0123456789abcdef', account: 'acct-17', accountId: 17 },
    { key: 'sk-test-bravo-0123456789abcdef', account: 'acct-23', accountId: 23 },
    { key: 'sk-test-charlie-0123456789abcd', account: 'acct-5', accountId: 5 },
  ];
  writeFileSync(keysPath, JSON.stringify({ keys: apiKeys }), { mode: 0o600 });
  chmodSync(keysPath, 0o600);
  return { dir, specPath, keyPath, keysPath, spec, key, apiKeys };
}
