/**
 * serve refuses a spec that cannot drive the model — before it opens anything: the
 * one-line error says what to do, and no ledger file is created (nothing half-written).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalSpecJson, exportKeyFile, generateKey, parseSpec, type WatermarkKey } from '@tracemark/watermark';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { startServer } from '../src/index.js';

let root: string;
let key: WatermarkKey;
let modelDir: string;

function writeSpec(name: string, tokenizer: string): string {
  const spec = parseSpec({ version: 1, tokenizer, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
  const p = join(root, name);
  writeFileSync(p, canonicalSpecJson(spec));
  return p;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tracemark-serve-specmodel-'));
  key = generateKey();
  writeFileSync(join(root, 'key.json'), JSON.stringify(exportKeyFile(key)), { mode: 0o600 });
  modelDir = join(root, 'my-model');
  await writeTinyCausalLM(modelDir, { vocabSize: 64, hidden: 4 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function start(spec: string, model: string, ledger: string) {
  const warnings: string[] = [];
  const run = startServer({
    spec,
    key: join(root, 'key.json'),
    ledger,
    warn: (m) => warnings.push(m),
    model,
    host: '127.0.0.1',
    port: 0,
    maxQueue: 4,
    maxBodyBytes: 1 << 20,
    defaultMaxTokens: 16,
    maxTokensLimit: 64,
    shutdownTimeoutMs: 1000,
    log: () => {},
  });
  return { run, warnings };
}

describe('startServer: the spec and the model are checked first', () => {
  it('a tiktoken spec with a model directory: one line naming the fix, no ledger created', async () => {
    const ledger = join(root, 'a.sqlite');
    const { run, warnings } = start(writeSpec('o200k.json', 'o200k_base'), modelDir, ledger);
    await expect(run).rejects.toThrow(
      `the spec's tokenizer is o200k_base but the model in ${modelDir} uses its own tokenizer.json: create the spec with tracemark spec init --tokenizer hf:${modelDir}`,
    );
    expect(existsSync(ledger)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('an hf: spec with --model builtin: one line naming the fix, no ledger created', async () => {
    const ledger = join(root, 'b.sqlite');
    const { run } = start(writeSpec('hf.json', `hf:${modelDir}`), 'builtin', ledger);
    await expect(run).rejects.toThrow(/^--model builtin needs a spec with a tiktoken tokenizer \(.*\); this spec uses hf:\S+: pass --model <the model directory the spec was made for>, or create a spec with --tokenizer o200k_base$/);
    expect(existsSync(ledger)).toBe(false);
  });
});
