/**
 * Small HTTP helpers over node:http: bounded body reading, JSON and SSE responses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

/**
 * Read the whole body, refusing more than `maxBytes` (413) as soon as it is exceeded
 * (by Content-Length up front, or while streaming for chunked bodies), so an
 * oversized upload is never buffered. A body not complete `timeoutMs` after the call
 * (0: no limit) is refused with 408, so a client that trickles its body cannot hold
 * the connection; the caller closes the connection after answering.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      req.resume(); // drain without buffering so the 413 can be written
      reject(tooLarge(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      if (timer !== undefined) clearTimeout(timer);
      reject(e);
    };
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            req.pause(); // read nothing more; the connection is closed after the 408
            fail(
              new ApiError(
                408,
                `the request body did not arrive within ${timeoutMs} ms`,
                'invalid_request_error',
                null,
                'request_timeout',
              ),
            );
          }, timeoutMs)
        : undefined;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > maxBytes) {
        fail(tooLarge(maxBytes));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      failed = true; // settled
      if (timer !== undefined) clearTimeout(timer);
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (e) => fail(e));
  });
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `request body too large: the limit is ${maxBytes} bytes`, 'invalid_request_error', null, 'request_too_large');
}

/** Strict: throws on malformed UTF-8; keeps a BOM (as U+FEFF, which JSON.parse refuses, as before). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Byte offset where the first ill-formed UTF-8 sequence starts (b.length if none). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new ApiError(400, 'the request body is empty: expected a JSON object', 'invalid_request_error', null, 'invalid_json');
  let ct: string;
  try {
    // JSON text is UTF-8 (RFC 8259 §8.1): a body that is not is refused, never repaired
    // with U+FFFD (the ledger would then hash text the client never sent).
    ct = UTF8.decode(body);
  } catch {
    throw new ApiError(
      400,
      `We could not parse the JSON body of your request: it is not valid UTF-8 (ill-formed sequence at byte ${firstInvalidUtf8(body)})`,
      'invalid_request_error',
      null,
      'invalid_json',
    );
  }
  try {
    return JSON.parse(ct);
  } catch (e) {
    throw new ApiError(
      400,
      `We could not parse the JSON body of your request: ${(e as Error).message}`,
      'invalid_request_error',
      null,
      'invalid_json',
    );
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, err.body(), headers);
}

/** Server-sent events in OpenAI's framing: `data: <json>\n\n`, ending with `data: [DONE]`. */
export class SseWriter {
  constructor(readonly res: ServerResponse) {}

  start(headers: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.res.flushHeaders();
  }

  data(obj: unknown): void {
    this.res.write(`data: ${JSON.stringify(obj)}\n\n`);
  }

  done(): void {
    this.res.end('data: [DONE]\n\n');
  }
}
