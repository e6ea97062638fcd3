/**
 * The upstream proxy's request handler (`tracemark serve --upstream`): an
 * OpenAI-compatible front for another engine. It authenticates our API keys
 * (accounts as in the watermarking server), applies the per-account rate limit and
 * the opt-out policy, forwards POST /v1/completions, POST /v1/chat/completions and
 * GET /v1/models[/:id] to the upstream, and records every delivered response in the
 * ledger (relay.ts). It adds no watermark: the upstream writes its own.
 *
 * Routes: GET /health (no auth, answered here); everything else under /v1 needs a key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LedgerStore } from '../ledger/store.js';
import { LedgerWriter } from '../ledger/writer.js';
import type { Account, ApiKeys } from '../server/apikeys.js';
import { ApiError } from '../server/errors.js';
import { ANONYMOUS } from '../server/handler.js';
import { parseJsonBody, readBody, sendError, sendJson } from '../server/http.js';
import { RateLimiter } from './ratelimit.js';
import type { TokenCounter } from './record.js';
import { relayJson, relayStream, upstreamStatusError, type RelayContext } from './relay.js';
import { parseProxyRequest, type Endpoint, type OptOutPolicy } from './request.js';
import { IdleTimer, readAll, UpstreamFault, type Upstream } from './upstream.js';

export interface ProxyOptions {
  upstream: Upstream;
  /** Counts tokens with the spec's tokenizer (the ledger's completion_tokens). */
  countTokens: TokenCounter;
  /** null (default): no keys, every request is the "anonymous" account. */
  apiKeys?: ApiKeys | null;
  ledger?: LedgerWriter | LedgerStore | null;
  /** A caller's `watermarking` field: refuse the request unless it is true (default), or strip it. */
  optOut?: OptOutPolicy;
  /** Per-account token bucket; null (default): no limit. */
  rateLimit?: { perSecond: number; burst: number } | null;
  /** Largest request body, 413 above (default 1 MiB). */
  maxBodyBytes?: number;
  /** Request body deadline after the headers (default 30 s). */
  bodyTimeoutMs?: number;
  /** Largest non-streamed upstream response (default 32 MiB). */
  maxResponseBytes?: number;
  /** How long draining waits for in-flight requests (default 10 s). */
  shutdownTimeoutMs?: number;
  log?: (event: Record<string, unknown>) => void;
  verbose?: boolean;
}

export interface ProxyStats {
  inFlight: number;
  draining: boolean;
}

export interface ProxyHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly stats: ProxyStats;
  readonly ledger: LedgerWriter | null;
  /** Refuse new requests (503), wait for in-flight ones until the deadline, then abort them. */
  drain(hooks?: { whileWaiting?: () => void }): Promise<void>;
  /** Drain, then commit and close the ledger. */
  close(): Promise<void>;
}

const ROUTES: Record<string, Endpoint> = { '/v1/completions': 'completions', '/v1/chat/completions': 'chat.completions' };

export function createProxyHandler(o: ProxyOptions): ProxyHandler {
  const store = o.ledger ?? null;
  const ledger = store === null || store instanceof LedgerWriter ? store : new LedgerWriter(store);
  const log = o.log ?? (() => {});
  const limiter = o.rateLimit ? new RateLimiter(o.rateLimit.perSecond, o.rateLimit.burst) : null;
  const relayCtx: RelayContext = { ledger, count: o.countTokens, maxResponseBytes: o.maxResponseBytes ?? 32 << 20, log };
  const inFlight = new Map<Promise<void>, AbortController>();
  let draining = false;
  let drained: Promise<void> | null = null;
  let closed: Promise<void> | null = null;

  const authenticate = (req: IncomingMessage): Account => {
    const keys = o.apiKeys ?? null;
    if (keys === null) return { account: ANONYMOUS, accountId: null };
    const m = typeof req.headers.authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization) : null;
    if (!m) throw new ApiError(401, "You didn't provide an API key (Authorization: Bearer YOUR_KEY).", 'invalid_request_error', null, 'missing_api_key');
    const acct = keys.lookup(m[1]!);
    if (!acct) throw new ApiError(401, 'Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
    return acct;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, ac: AbortController): Promise<void> => {
    const t0 = performance.now();
    let account: string | null = null;
    const timer = new IdleTimer(o.upstream.timeoutMs, ac);
    const onClose = (): void => {
      if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
    };
    res.on('close', onClose);
    try {
      if (draining) {
        res.setHeader('connection', 'close');
        throw new ApiError(503, 'the server is shutting down', 'server_error', null, 'shutting_down');
      }
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
      if (path === '/health') {
        sendJson(res, 200, { status: 'ok', upstream: o.upstream.baseUrl, inFlight: inFlight.size, draining });
        return;
      }
      const acct = authenticate(req);
      account = acct.account;
      if (path === '/v1/models' || path.startsWith('/v1/models/')) {
        if (req.method !== 'GET') throw methodNotAllowed(req.method);
        const up = await o.upstream.send('GET', path.slice(3), null, ac, timer);
        if (!up.ok) throw await upstreamStatusError({ upstream: up, ac, timer }, 1 << 20);
        const bytes = await readAll(up, relayCtx.maxResponseBytes, ac, timer);
        try {
          JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new UpstreamFault('malformed', 'the upstream model list is not valid JSON');
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
        res.end(bytes);
        return;
      }
      const endpoint = ROUTES[path];
      if (endpoint === undefined) throw new ApiError(404, `Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_url');
      if (req.method !== 'POST') throw methodNotAllowed(req.method);
      const json = parseJsonBody(await readBody(req, o.maxBodyBytes ?? 1 << 20, o.bodyTimeoutMs ?? 30_000));
      const pr = parseProxyRequest(endpoint, json, o.optOut ?? 'refuse');
      const wait = limiter?.take(acct.account) ?? 0;
      if (wait > 0) throw new ApiError(429, `rate limit for account ${acct.account} reached; retry in ${wait.toFixed(2)} s`, 'rate_limit_exceeded', null, 'rate_limit_exceeded');
      const up = await o.upstream.send('POST', path.slice(3), JSON.stringify(pr.body), ac, timer);
      const relay = { req: pr, account: acct, upstream: up, res, ac, timer };
      if (!up.ok) throw await upstreamStatusError(relay, 1 << 20);
      const sse = (up.headers.get('content-type') ?? '').startsWith('text/event-stream');
      if (pr.stream && sse) await relayStream(relayCtx, relay);
      else if (!pr.stream && !sse) await relayJson(relayCtx, relay);
      else throw new UpstreamFault('malformed', `the upstream answered ${sse ? 'a stream' : 'JSON'} to a request for ${pr.stream ? 'a stream' : 'JSON'}`);
      if (o.verbose) log({ event: 'request', path, account, status: res.statusCode, ms: Math.round(performance.now() - t0) });
    } catch (e) {
      fail(res, e, account);
    } finally {
      timer.clear();
      res.off('close', onClose);
    }
  };

  const fail = (res: ServerResponse, e: unknown, account: string | null): void => {
    const api = e instanceof UpstreamFault ? e.toApi() : e instanceof ApiError ? e : null;
    if (api !== null) {
      if (o.verbose || e instanceof UpstreamFault) log({ event: 'request-error', status: api.status, code: api.code, account });
      if (api.status === 408) {
        res.setHeader('connection', 'close');
        res.once('finish', () => res.socket?.destroy());
      }
      sendError(res, api, api.status === 429 ? { 'retry-after': '1' } : {});
      return;
    }
    if (res.destroyed) return; // the caller went away
    log({ event: 'error', message: (e as Error)?.message ?? String(e), account });
    if (!res.headersSent) sendError(res, new ApiError(500, 'internal server error', 'server_error', null, 'internal_error'));
    else res.destroy();
  };

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    const ac = new AbortController();
    const p = handle(req, res, ac);
    inFlight.set(p, ac);
    void p.finally(() => inFlight.delete(p));
  }) as ProxyHandler;

  const drain = (hooks: { whileWaiting?: () => void } = {}): Promise<void> => {
    draining = true;
    drained ??= (async () => {
      const deadline = Date.now() + (o.shutdownTimeoutMs ?? 10_000);
      while (inFlight.size > 0 && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...inFlight.keys()]), sleep(Math.max(1, Math.min(100, deadline - Date.now())))]);
        hooks.whileWaiting?.();
      }
      if (inFlight.size > 0) {
        log({ event: 'shutdown-abort', inFlight: inFlight.size });
        for (const ac of inFlight.values()) ac.abort(new Error('server shutting down'));
        await Promise.race([Promise.allSettled([...inFlight.keys()]), sleep(5_000)]);
      }
    })();
    return drained;
  };

  Object.defineProperties(handler, {
    stats: { get: (): ProxyStats => ({ inFlight: inFlight.size, draining }), enumerable: true },
    ledger: { value: ledger, enumerable: true },
    drain: { value: drain },
    close: {
      value: () =>
        (closed ??= (async () => {
          await drain();
          o.upstream.close();
          await ledger?.close();
        })()),
    },
  });
  return handler;
}

function methodNotAllowed(method: string | undefined): ApiError {
  return new ApiError(405, `method ${method ?? '?'} is not allowed here`, 'invalid_request_error', null, 'method_not_allowed');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
