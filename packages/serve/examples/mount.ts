/**
 * Mounting @tracemark/serve in a plain node:http program:
 *
 *   node --conditions=source --import tsx packages/serve/examples/mount.ts
 *
 * The program owns its server and routes /v1/* and /health to the watermarking
 * handler (the built-in reference model of @tracemark/lm, a SQLite ledger in a
 * temporary directory); the official `openai` client calls it; the response is then
 * detected with @tracemark/detector and found in the ledger. The server is stopped
 * and the directory removed whatever happens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { canonicalSpecJson, generateKey, parseSpec, Watermark } from '@tracemark/watermark';
import { Detector, sha256Hex, specId } from '@tracemark/detector';
import { createHandler, Ledger, loadServedModel, lookupText } from '@tracemark/serve';

const key = generateKey();
const spec = parseSpec({
  version: 1,
  tokenizer: 'o200k_base',
  scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
  context: { width: 1, mode: 'left' },
  keyFingerprint: key.fingerprint,
});
const dir = mkdtempSync(join(tmpdir(), 'tracemark-mount-'));
const ledger = Ledger.openForWriting(join(dir, 'ledger.sqlite'), { specId: specId(spec), keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
const model = await loadServedModel('builtin', spec).catch((e: unknown) => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  throw e;
});

// The watermarking handler: a model, a ledger (any LedgerStore), no API keys ("anonymous").
const tracemark = createHandler({ wm: new Watermark(spec, key), model, ledger });
const server = createServer((req, res) => {
  if (req.url?.startsWith('/v1/') || req.url === '/health') return tracemark(req, res);
  res.writeHead(200, { 'content-type': 'text/plain' }).end('the rest of my service\n');
});

try {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' });

  const completion = await client.completions.create({ model: model.id, prompt: 'The history of the city', max_tokens: 120, temperature: 1 });
  const text = completion.choices[0]!.text;
  console.log(`served: ${completion.usage?.completion_tokens} tokens from ${model.id}`);

  const detector = new Detector(spec, key);
  const r = detector.detect(text);
  detector.dispose();
  console.log(`detected: ${r.scored} tuples scored, p = ${r.pValue}`);

  const found = await lookupText(ledger, sha256Hex(text));
  console.log(`ledger: ${found.found ? `issued to ${found.responses[0]!.account} at ${found.responses[0]!.createdAt}` : 'not found'}`);
} finally {
  // Stop the handler (in-flight requests finish, the ledger is committed and closed), then the server.
  await tracemark.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
}
