/**
 * The HTTP server: routing, authentication, admission control and graceful shutdown
 * around the generation endpoints (completion.ts).
 *
 * Routes: GET /health (no auth), GET /v1/models, GET /v1/models/:id,
 *         POST /v1/completions, POST /v1/chat/completions.
 * Shutdown: stop accepting connections, refuse new requests on open ones (503), let
 * in-flight generations finish until the deadline, abort the rest, commit and close
 * the ledger, stop the model.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Watermark } from '@tracemark/watermark';
import type { LedgerWriter } from '../ledger/writer.js';
import type { Account, ApiKeys } from './apikeys.js';
import { Aborted, chatJob, completionJob, runJob, type GenerationContext, type Job } from './completion.js';
import { ApiError } from './errors.js';
import { parseJsonBody, readBody, sendError, sendJson } from './http.js';
import { Busy, Limiter } from './limiter.js';
import type { ServedModel } from './model.js';
import { ChatRequestSchema, CompletionRequestSchema, parseRequest } from './schemas.js';
import { modelObject } from './shapes.js';

export interface ServerOptions {
  wm: Watermark;
  model: ServedModel;
  /** null: no keys file, every request is the "anonymous" account (documented; warned at startup). */
  apiKeys: ApiKeys | null;
  ledger: LedgerWriter | null;
  host: string;
  port: number;
  maxConcurrency: number;
  maxQueue: number;
  maxBodyBytes: number;
  defaultMaxTokens: number;
  maxTokensLimit: number;
  /** How long shutdown waits for in-flight requests before aborting them. */
  shutdownTimeoutMs: number;
  /** Structured log lines (never given secrets). */
  log: (event: Record<string, unknown>) => void;
  /** Log one line per request. */
  verbose: boolean;
}

export const ANONYMOUS = 'anonymous';

export class TracemarkServer {
  readonly #o: ServerOptions;
  readonly #server: Server;
  readonly #limiter: Limiter;
  readonly #gen: GenerationContext;
  readonly #created = Math.floor(Date.now() / 1000);
  /** Aborts every in-flight generation when the shutdown deadline passes. */
  readonly #hardStop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #draining = false;
  #stopped: Promise<void> | null = null;

  constructor(o: ServerOptions) {
    this.#o = o;
    this.#limiter = new Limiter(o.maxConcurrency, o.maxQueue);
    this.#gen = { wm: o.wm, model: o.model, ledger: o.ledger, defaultMaxTokens: o.defaultMaxTokens, maxTokensLimit: o.maxTokensLimit };
    this.#server = createServer((req, res) => this.#track(this.#handle(req, res)));
    // Bodies are small and must arrive promptly; generation time is not covered by this.
    this.#server.requestTimeout = 30_000;
    this.#server.headersTimeout = 15_000;
  }

  /** Listen; resolves with the bound URL (port 0 → a free port). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        const a = this.#server.address() as AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        resolve(`http://${host}:${a.port}`);
      });
    });
  }

  get stats(): { active: number; queued: number; inFlight: number; draining: boolean } {
    return { active: this.#limiter.active, queued: this.#limiter.queued, inFlight: this.#inFlight.size, draining: this.#draining };
  }

  /** Graceful shutdown (idempotent). */
  shutdown(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    this.#server.closeIdleConnections();
    const deadline = Date.now() + this.#o.shutdownTimeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(Math.max(1, Math.min(100, deadline - Date.now())))]);
      this.#server.closeIdleConnections();
    }
    if (this.#inFlight.size > 0) {
      this.#o.log({ event: 'shutdown-abort', inFlight: this.#inFlight.size });
      this.#hardStop.abort(new Aborted('server shutting down'));
      await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(5_000)]);
    }
    this.#server.closeAllConnections();
    await closed;
    this.#o.ledger?.close();
    await this.#o.model.dispose().catch(() => {});
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    let account: string | null = null;
    try {
      if (this.#draining) {
        res.setHeader('connection', 'close');
        throw new ApiError(503, 'the server is shutting down', 'server_error', null, 'shutting_down');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      if (path === '/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method);
        sendJson(res, 200, { status: 'ok', ...this.stats });
        return;
      }
      const acct = this.#authenticate(req);
      account = acct.account;
      if (path === '/v1/models') {
        if (req.method !== 'GET') throw methodNotAllowed(req.method);
        sendJson(res, 200, { object: 'list', data: [modelObject(this.#o.model.id, this.#created)] });
        return;
      }
      if (path.startsWith('/v1/models/')) {
        if (req.method !== 'GET') throw methodNotAllowed(req.method);
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        if (id !== this.#o.model.id) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
        sendJson(res, 200, modelObject(id, this.#created));
        return;
      }
      if (path === '/v1/completions' || path === '/v1/chat/completions') {
        if (req.method !== 'POST') throw methodNotAllowed(req.method);
        const body = parseJsonBody(await readBody(req, this.#o.maxBodyBytes));
        const job =
          path === '/v1/completions'
            ? completionJob(this.#gen, acct, parseRequest(CompletionRequestSchema, body))
            : chatJob(this.#gen, acct, parseRequest(ChatRequestSchema, body));
        await this.#generate(job, res);
        if (this.#o.verbose) this.#o.log({ event: 'request', path, account, status: res.statusCode, ms: Math.round(performance.now() - t0) });
        return;
      }
      throw new ApiError(404, `Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_url');
    } catch (e) {
      this.#fail(res, e, account);
    }
  }

  async #generate(job: Job, res: ServerResponse): Promise<void> {
    // Aborted when the client goes away or when the shutdown deadline passes.
    const ac = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) ac.abort(new Aborted('client closed the connection'));
    };
    res.on('close', onClose);
    const onHardStop = (): void => ac.abort(this.#hardStop.signal.reason);
    this.#hardStop.signal.addEventListener('abort', onHardStop, { once: true });
    let release: (() => void) | null = null;
    try {
      try {
        release = await this.#limiter.acquire(ac.signal);
      } catch (e) {
        if (e instanceof Busy) throw new ApiError(429, `${e.message}; retry later`, 'rate_limit_exceeded', null, 'server_busy');
        throw e;
      }
      await runJob(this.#gen, job, res, ac.signal);
    } finally {
      release?.();
      res.off('close', onClose);
      this.#hardStop.signal.removeEventListener('abort', onHardStop);
    }
  }

  #authenticate(req: IncomingMessage): Account {
    const keys = this.#o.apiKeys;
    if (keys === null) return { account: ANONYMOUS, accountId: this.#o.wm.spec.payload ? 0 : null };
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) {
      throw new ApiError(
        401,
        "You didn't provide an API key. Provide it in the Authorization header (Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
        null,
        'missing_api_key',
      );
    }
    const acct = keys.lookup(m[1]!);
    // The presented key is never echoed back or logged.
    if (!acct) throw new ApiError(401, 'Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
    return acct;
  }

  #fail(res: ServerResponse, e: unknown, account: string | null): void {
    if (e instanceof ApiError) {
      if (this.#o.verbose) this.#o.log({ event: 'request-error', status: e.status, code: e.code, account });
      sendError(res, e, e.status === 429 ? { 'retry-after': '1' } : {});
      return;
    }
    if (e instanceof Aborted) {
      // Client gone (nothing to send) or shutdown deadline: close the connection.
      if (!res.headersSent && !res.destroyed) sendError(res, new ApiError(503, e.message, 'server_error', null, 'aborted'));
      else res.destroy();
      return;
    }
    this.#o.log({ event: 'error', message: (e as Error)?.message ?? String(e), account });
    if (!res.headersSent) sendError(res, new ApiError(500, 'internal server error', 'server_error', null, 'internal_error'));
    else res.destroy();
  }
}

function methodNotAllowed(method: string | undefined): ApiError {
  return new ApiError(405, `method ${method ?? '?'} is not allowed here`, 'invalid_request_error', null, 'method_not_allowed');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
