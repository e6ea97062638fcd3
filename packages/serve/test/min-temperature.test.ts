/**
 * The watermark floor on temperature (`minTemperature`, `serve --min-temperature`):
 * at temperature 0 (served at 0.05, nearly argmax) a 200-token answer carries no
 * detectable watermark; with the floor it is sampled at the floor and is detected.
 * The `x-tracemark-temperature` header gives the temperature used; a ledger row whose
 * request the floor raised records what was asked and what was used in `params`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalSpecJson, parseSpec, seededRng, Watermark, WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { Detector, sha256Hex, specId } from '@tracemark/detector';
import { Ledger, loadServedModel, TracemarkServer, type ServedModel } from '../src/index.js';

let dir: string;
let key: WatermarkKey;
let spec: WatermarkSpec;
let model: ServedModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-mintemp-'));
  // A fixed key, so the answers are the same every run: with a fresh random key the
  // 200-token answer ends early at end-of-text for about half the keys (97 tokens in one CI
  // run), below the length the 'strongly detected at 200 tokens' assertions are about.
  const rng = seededRng('min-temperature-test-key-b');
  key = new WatermarkKey(Uint8Array.from({ length: 32 }, () => Math.floor(rng() * 256)));
  spec = parseSpec({
    version: 1,
    tokenizer: 'o200k_base',
    scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
    context: { width: 1, mode: 'left' },
    keyFingerprint: key.fingerprint,
  });
  model = await loadServedModel('builtin', spec);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PROMPT = 'The history of the city begins with a small settlement on the river, where';

async function serve(minTemperature: number | undefined, name: string, body: (url: string, ledger: Ledger) => Promise<void>): Promise<void> {
  const ledger = Ledger.openForWriting(join(dir, `${name}.sqlite`), { specId: specId(spec), keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
  const server = new TracemarkServer({ wm: new Watermark(spec, key), model, ledger, host: '127.0.0.1', port: 0, ...(minTemperature !== undefined ? { minTemperature } : {}) });
  try {
    await body(await server.listen(), ledger);
  } finally {
    await server.shutdown();
    ledger.close();
  }
}

async function complete(url: string, request: Record<string, unknown>): Promise<{ text: string; header: string | null }> {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: model.id, prompt: PROMPT, max_tokens: 200, ...request }),
  });
  expect(res.status).toBe(200);
  const header = res.headers.get('x-tracemark-temperature');
  if (request.stream === true) {
    const text = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)).choices[0]?.text ?? '')
      .join('');
    return { text, header };
  }
  return { text: (await res.json()).choices[0].text, header };
}

describe('minTemperature: a watermark floor on temperature', () => {
  it('temperature 0 without the floor: served at 0.05, 200 tokens not detected; the row has no params', async () => {
    await serve(undefined, 'off', async (url, ledger) => {
      const r = await complete(url, { temperature: 0, seed: 3 });
      expect(r.header).toBe('0.05');
      const d = new Detector(spec, key).detect(r.text, { prompt: PROMPT });
      expect(d.log10P).toBeGreaterThan(-3);
      const [row] = ledger.lookupTextSha256(sha256Hex(r.text));
      expect(row!.params ?? null).toBeNull();
    });
  });

  it('temperature 0 with the floor 0.7: sampled at 0.7, strongly detected; header and ledger row say so', async () => {
    await serve(0.7, 'on', async (url, ledger) => {
      const det = new Detector(spec, key);
      for (const stream of [false, true]) {
        const r = await complete(url, { temperature: 0, seed: 3, stream });
        expect(r.header).toBe('0.7');
        const d = det.detect(r.text, { prompt: PROMPT });
        expect(d.tokens).toBeGreaterThan(150);
        expect(d.log10P).toBeLessThan(-8);
        const [row] = ledger.lookupTextSha256(sha256Hex(r.text));
        expect(JSON.parse(row!.params!)).toEqual({ temperature: 0, sampled_temperature: 0.7 });
      }
      // At or above the floor nothing changes and nothing extra is recorded.
      const hot = await complete(url, { temperature: 1, seed: 4 });
      expect(hot.header).toBe('1');
      expect(ledger.lookupTextSha256(sha256Hex(hot.text))[0]!.params ?? null).toBeNull();
    });
  });
});
