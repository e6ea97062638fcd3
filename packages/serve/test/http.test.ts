/**
 * The server's HTTP edges, in-process on a loopback port: request bodies that are not
 * UTF-8, malformed request URLs, the ledger files' modes, many requests in flight
 * (no Node warning), and request bodies that arrive too slowly.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalSpecJson, exportKeyFile, generateKey, parseSpec, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { specId } from '@tracemark/detector';
import { Ledger, loadServedModel, openServeInputs, TracemarkServer, type ServedModel } from '../src/index.js';

let dir: string;
let key: WatermarkKey;
let spec: WatermarkSpec;
let model: ServedModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-serve-http-'));
  key = generateKey();
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

const binding = (): { specId: string; keyFingerprint: string; specJson: string } => ({
  specId: specId(spec),
  keyFingerprint: key.fingerprint,
  specJson: canonicalSpecJson(spec),
});

/** A server on a free loopback port, always shut down after `body`. */
async function withServer(
  opts: { ledger?: Ledger; bodyTimeoutMs?: number; maxConcurrency?: number },
  body: (url: string, server: TracemarkServer) => Promise<void>,
): Promise<void> {
  const server = new TracemarkServer({ wm: new Watermark(spec, key), model, host: '127.0.0.1', port: 0, ...opts });
  try {
    await body(await server.listen(), server);
  } finally {
    await server.shutdown();
  }
}

function expectOpenAiError(status: number, json: any, expectedStatus: number, code: string): void {
  expect(status).toBe(expectedStatus);
  expect(Object.keys(json)).toEqual(['error']);
  expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(json.error.code).toBe(code);
  expect(json.error.type).toBe('invalid_request_error');
}

/** Write `request` on a raw connection; resolve with what the server sent and when it closed. */
function raw(url: string, request: string | Buffer, trickle?: { bytes: Buffer; everyMs: number }): Promise<{ response: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(Number(port), hostname);
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (response += d));
    socket.on('error', () => {}); // a reset after the answer is fine
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response, closedAfterMs: performance.now() - t0 });
    });
    socket.write(request);
    if (trickle) {
      let i = 0;
      timer = setInterval(() => {
        if (i < trickle.bytes.length && socket.writable) socket.write(trickle.bytes.subarray(i, ++i));
      }, trickle.everyMs);
    }
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 20 s; got ${JSON.stringify(response)}`));
    }, 20_000).unref();
  });
}

describe('request bodies must be UTF-8', () => {
  it('an ill-formed byte sequence → 400 invalid_json, nothing generated or recorded; well-formed non-ASCII is served', async () => {
    const ledger = Ledger.openForWriting(join(dir, 'utf8.sqlite'), binding());
    try {
      await withServer({ ledger }, async (url) => {
        const post = async (body: Buffer): Promise<{ status: number; json: any }> => {
          const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          return { status: res.status, json: await res.json() };
        };
        const json = (prompt: Buffer): Buffer =>
          Buffer.concat([Buffer.from(`{"model":"${model.id}","max_tokens":4,"prompt":"caf`), prompt, Buffer.from('"}')]);
        // 0xE9 alone (Latin-1 é), an overlong '/', a lone surrogate, a truncated 4-byte sequence.
        for (const bad of [[0xe9], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]) {
          const r = await post(json(Buffer.from(bad)));
          expectOpenAiError(r.status, r.json, 400, 'invalid_json');
          expect(r.json.error.message).toContain('not valid UTF-8');
          expect(r.json.error.message).toContain(`byte ${json(Buffer.alloc(0)).length - 2}`);
        }
        const ok = await post(json(Buffer.from('é 😀', 'utf8')));
        expect(ok.status).toBe(200);
        expect(ok.json.object).toBe('text_completion');
        expect(ledger.stats().responses).toBe(1); // only the well-formed request
      });
    } finally {
      ledger.close();
    }
  });
});

describe('malformed request URLs', () => {
  it('GET /v1/models/%ZZ → 400 invalid_url (not a 500); a well-formed escape still resolves', async () => {
    await withServer({}, async (url) => {
      for (const path of ['/v1/models/%ZZ', '/v1/models/%E9', '/v1/models/abc%']) {
        const res = await fetch(`${url}${path}`);
        expectOpenAiError(res.status, await res.json(), 400, 'invalid_url');
      }
      const res = await fetch(`${url}/v1/models/${encodeURIComponent(model.id)}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe(model.id);
      // A request target the URL parser refuses.
      const r = await raw(url, 'GET // HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      expect(r.response).toMatch(/^HTTP\/1\.1 400 /);
      expect(r.response).toContain('"code":"invalid_url"');
    });
  });
});

describe('ledger files are private', () => {
  it('a new ledger and its -wal and -shm files are created 0600 under umask 022', async () => {
    const previous = process.umask(0o022);
    const path = join(dir, 'private.sqlite');
    let ledger: Ledger | null = null;
    try {
      ledger = Ledger.openForWriting(path, binding());
      const l = ledger;
      await withServer({ ledger: l }, async (url) => {
        const res = await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: model.id, prompt: 'x', max_tokens: 3 }) });
        expect(res.status).toBe(200);
        expect(l.stats().responses).toBe(1);
        for (const file of [path, `${path}-wal`, `${path}-shm`]) expect([file, (statSync(file).mode & 0o777).toString(8)]).toEqual([file, '600']);
      });
    } finally {
      process.umask(previous);
      ledger?.close();
    }
  });

  it('an existing ledger readable by group/others is warned about, like the key files; a private one is not', async () => {
    const specPath = join(dir, 'spec.json');
    const keyPath = join(dir, 'key.json');
    writeFileSync(specPath, JSON.stringify(spec));
    writeFileSync(keyPath, JSON.stringify(exportKeyFile(key, new Date(0))), { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    const path = join(dir, 'shared.sqlite');
    const open = async (): Promise<string[]> => {
      const warnings: string[] = [];
      const inputs = await openServeInputs({ spec: specPath, key: keyPath, ledger: path, warn: (m) => warnings.push(m) });
      await inputs.ledger?.close();
      return warnings.filter((w) => w.includes(path));
    };
    expect(await open()).toEqual([]); // created 0600
    chmodSync(path, 0o644);
    expect(await open()).toEqual([`ledger file ${path} is readable by group/others (mode 644); chmod 600 it`]);
    chmodSync(path, 0o600);
    writeFileSync(`${path}-wal`, '', { mode: 0o640 });
    chmodSync(`${path}-wal`, 0o640);
    expect(await open()).toEqual([`ledger file ${path}-wal is readable by group/others (mode 640); chmod 600 it`]);
  });
});

describe('many requests in flight', () => {
  it('32 requests in flight at once raise no MaxListenersExceededWarning (or any process warning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    // Generation waits at a gate until all 32 requests are in (2 running, 30 queued).
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const gated: ServedModel = { ...model, step: async (...a) => (await gate, model.step(...a)) };
    const server = new TracemarkServer({ wm: new Watermark(spec, key), model: gated, host: '127.0.0.1', port: 0, maxConcurrency: 2 });
    try {
      const url = await server.listen();
      const responses = Array.from({ length: 32 }, () =>
        fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: model.id, prompt: 'The city', max_tokens: 5, stream: true }) }).then(
          async (r) => (await r.text(), r.status),
        ),
      );
      const t0 = Date.now();
      while (server.stats.inFlight < 32 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
      expect(server.stats).toMatchObject({ inFlight: 32, active: 2, queued: 30 });
      open();
      expect(await Promise.all(responses)).toEqual(Array(32).fill(200));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    } finally {
      open();
      process.off('warning', onWarning);
      await server.shutdown();
    }
  });
});

describe('slow request bodies', () => {
  it('a body still trickling at the body timeout → 408 request_timeout and the connection closed', async () => {
    await withServer({ bodyTimeoutMs: 400 }, async (url) => {
      const body = Buffer.from(JSON.stringify({ model: model.id, prompt: 'x', max_tokens: 3 }));
      const head = `POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
      const r = await raw(url, head, { bytes: body, everyMs: 50 }); // would take ~2 s
      expect(r.response).toMatch(/^HTTP\/1\.1 408 /);
      expect(r.response).toMatch(/\r\nconnection: close\r\n/i);
      const json = JSON.parse(r.response.slice(r.response.indexOf('\r\n\r\n') + 4));
      expectOpenAiError(408, json, 408, 'request_timeout');
      expect(r.closedAfterMs).toBeGreaterThan(350);
      expect(r.closedAfterMs).toBeLessThan(1_500);
      // A body that arrives in time is served.
      const ok = await raw(url, head.replace('HTTP/1.1\r\n', 'HTTP/1.1\r\nconnection: close\r\n'), { bytes: body, everyMs: 1 });
      expect(ok.response).toMatch(/^HTTP\/1\.1 200 /);
    });
  });
});
