/**
 * The upstream engine (vLLM, SGLang, TensorRT-LLM, another `tracemark serve`, …) as the
 * proxy sees it: its OpenAI base URL (what an OpenAI client would be given, e.g.
 * http://10.0.0.5:8000/v1), the key the proxy presents to it (never printed, never in
 * an error message), and a timeout.
 *
 * The timeout is an idle timeout: the upstream must answer with headers within
 * `timeoutMs`, and then send each further piece of its body within `timeoutMs` of the
 * previous one (a long stream that keeps producing is never cut; a stalled one is).
 *
 * Every fault becomes an OpenAI-shaped ApiError for the caller (UpstreamFault.toApi).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ApiError } from '../server/errors.js';

/**
 * The part of a response the proxy reads. node:http with a keep-alive agent rather than
 * fetch: fetch's Request/Response objects and web streams cost ≈ 0.7 ms of CPU per proxied
 * request (docs/SERVE.md §10), more than the rest of the forwarding.
 */
export interface UpstreamResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body, chunk by chunk (`read()` resolves `{ done, value }` like a web stream reader). */
  readonly body: { getReader(): UpstreamReader } | null;
}

export interface UpstreamReader {
  read(): Promise<IteratorResult<Uint8Array, undefined>>;
  /** Stop reading and let the connection go. */
  cancel(): Promise<void>;
}

function responseOf(m: IncomingMessage): UpstreamResponse {
  // A response aborted or cut while nobody reads it (after an abort, after [DONE]) must not
  // become an uncaught error: a reader sees errors through read(), the rest is dropped.
  m.on('error', () => {});
  const status = m.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get: (name: string) => {
        const v = m.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    body: {
      getReader: () => {
        const it = m[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>;
        return {
          read: () => it.next(),
          cancel: async () => {
            await it.return?.();
          },
        };
      },
    },
  };
}

export interface UpstreamOptions {
  /** The upstream's OpenAI base URL (http or https), e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` to the upstream; null: no header. */
  apiKey?: string | null;
  /** Idle timeout (ms): headers, then each body chunk (default 60 s). */
  timeoutMs?: number;
}

export type FaultKind = 'timeout' | 'unreachable' | 'connection_lost' | 'status' | 'malformed' | 'incomplete';

/** Something went wrong between the proxy and the upstream. */
export class UpstreamFault extends Error {
  override name = 'UpstreamFault';
  constructor(
    readonly kind: FaultKind,
    message: string,
  ) {
    super(message);
  }

  toApi(): ApiError {
    if (this.kind === 'timeout') return new ApiError(504, this.message, 'server_error', null, 'upstream_timeout');
    const code =
      this.kind === 'unreachable'
        ? 'upstream_unreachable'
        : this.kind === 'connection_lost'
          ? 'upstream_connection_lost'
          : this.kind === 'status'
            ? 'upstream_error'
            : this.kind === 'malformed'
              ? 'upstream_invalid_response'
              : 'upstream_incomplete';
    return new ApiError(502, this.message, 'server_error', null, code);
  }
}

/**
 * An idle timer: `touch()` (re-)arms it — `Upstream.send` arms it when the request
 * leaves — and on expiry it aborts the controller with a timeout fault.
 */
export class IdleTimer {
  #t: NodeJS.Timeout | undefined;
  constructor(
    readonly ms: number,
    readonly ac: AbortController,
  ) {}
  touch(): void {
    if (this.#t !== undefined) clearTimeout(this.#t);
    if (this.ms > 0) {
      this.#t = setTimeout(() => this.ac.abort(new UpstreamFault('timeout', `the upstream sent nothing for ${this.ms} ms`)), this.ms);
    }
  }
  clear(): void {
    if (this.#t !== undefined) clearTimeout(this.#t);
    this.#t = undefined;
  }
}

export class Upstream {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #authorization: string | null;
  readonly #https: boolean;
  // one pool of kept-alive connections per upstream (fetch kept them alive too)
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(o: UpstreamOptions) {
    let u: URL;
    try {
      u = new URL(o.baseUrl);
    } catch {
      throw new TypeError(`upstream URL is not a URL: ${JSON.stringify(o.baseUrl)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`upstream URL must be http or https: ${u.protocol}`);
    if (u.username !== '' || u.password !== '') throw new TypeError('upstream URL must not carry credentials: use the key environment variable');
    if (u.search !== '' || u.hash !== '') throw new TypeError('upstream URL must not have a query or fragment');
    this.baseUrl = u.href.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.#authorization = o.apiKey ? `Bearer ${o.apiKey}` : null;
    this.#https = u.protocol === 'https:';
    this.#agent = this.#https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  /** Close the kept-alive connections (the proxy's shutdown). */
  close(): void {
    this.#agent.destroy();
  }

  /**
   * Send one request (`path` after the base URL, e.g. "/chat/completions"). Resolves
   * when the response headers arrive. `ac` is aborted by the caller (client gone) or by
   * `timer` (idle timeout), whose reason is then thrown as the fault.
   */
  async send(method: 'GET' | 'POST', path: string, body: string | null, ac: AbortController, timer: IdleTimer): Promise<UpstreamResponse> {
    const headers: Record<string, string | number> = { accept: body === null ? 'application/json' : 'application/json, text/event-stream' };
    const payload = body === null ? null : Buffer.from(body, 'utf8');
    if (payload !== null) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (this.#authorization !== null) headers.authorization = this.#authorization;
    timer.touch();
    try {
      if (ac.signal.aborted) throw ac.signal.reason;
      const m = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = (this.#https ? httpsRequest : httpRequest)(`${this.baseUrl}${path}`, { method, headers, agent: this.#agent }, resolve);
        // Abort by destroying the request (and with it the response being read: its read()
        // rejects, and asFault turns that into the abort's reason). Not `signal:`, whose
        // AbortError could reach a stream nobody listens to any more (uncaught).
        const onAbort = (): void => void req.destroy();
        ac.signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => ac.signal.removeEventListener('abort', onAbort));
        req.on('error', reject); // on, not once: a destroyed request may error more than once
        req.end(payload ?? undefined);
      });
      timer.touch();
      return responseOf(m);
    } catch (e) {
      throw asFault(e, ac, 'unreachable');
    }
  }

  // Never show the key.
  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Upstream(${this.baseUrl})`;
  }
}

/** A fetch/stream error as a fault: the abort reason if the controller was aborted, else `kind`. */
export function asFault(e: unknown, ac: AbortController, kind: FaultKind): Error {
  if (ac.signal.aborted) return ac.signal.reason instanceof Error ? ac.signal.reason : new Error(String(ac.signal.reason));
  if (e instanceof UpstreamFault) return e;
  const cause = (e as { code?: string })?.code ?? (e as { cause?: { code?: string } })?.cause?.code;
  const what = kind === 'unreachable' ? 'cannot reach the upstream' : 'the upstream connection was lost';
  return new UpstreamFault(kind, cause ? `${what} (${cause})` : what);
}

/** Read a whole (bounded) body, keeping the idle timer alive while it arrives. */
export async function readAll(r: UpstreamResponse, maxBytes: number, ac: AbortController, timer: IdleTimer): Promise<Buffer> {
  if (r.body === null) return Buffer.alloc(0);
  const reader = r.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      timer.touch();
      size += value.byteLength;
      if (size > maxBytes) {
        ac.abort(new UpstreamFault('malformed', `the upstream response is larger than ${maxBytes} bytes`));
        throw ac.signal.reason;
      }
      parts.push(value);
    }
  } catch (e) {
    throw asFault(e, ac, 'connection_lost');
  }
  return Buffer.concat(parts, size);
}
