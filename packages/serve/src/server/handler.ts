/**
 * The request handler of the watermarking server, for any node:http program to
 * mount: routing, authentication, admission control and draining around the
 * generation endpoints (completion.ts). TracemarkServer (server.ts) is this handler
 * on its own http.Server.
 *
 * Routes: GET /health (no auth), GET /v1/models, GET /v1/models/:id,
 *         POST /v1/completions, POST /v1/chat/completions; anything else is a 404
 *         in the OpenAI error shape.
 * Draining: refuse new requests (503), let in-flight generations finish until the
 * deadline, abort the rest; closing then commits and closes the ledger and stops
 * the model.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Watermark } from '@tracemark/watermark';
import { checkEngineMarking, type EngineMarking } from './engine.js';
import type { LedgerStore } from '../ledger/store.js';
import { LedgerWriter } from '../ledger/writer.js';
import type { Account, ApiKeys } from './apikeys.js';
import { Aborted, chatJob, completionJob, runJob, type GenerationContext, type Job } from './completion.js';
import { ApiError } from './errors.js';
import { parseJsonBody, readBody, sendError, sendJson } from './http.js';
import { Busy, Limiter } from './limiter.js';
import type { ServedModel } from './model.js';
import { ChatRequestSchema, CompletionRequestSchema, parseRequest } from './schemas.js';
import { modelObject } from './shapes.js';

export interface HandlerOptions {
  /** Tracemark's own watermark; give this or `engine`. */
  wm?: Watermark;
  /**
   * An engine's watermark to emulate (engine spec + engine key, engine.ts): every choice
   * is sampled by a fresh engine sampler; no payload, no window hashes in the ledger.
   */
  engine?: EngineMarking;
  model: ServedModel;
  /** null (default): no keys, every request is the "anonymous" account. */
  apiKeys?: ApiKeys | null;
  /**
   * Where each response is recorded before its last bytes are sent: a store (wrapped in
   * a LedgerWriter for group commit), a writer, or null (default: not recorded).
   */
  ledger?: LedgerWriter | LedgerStore | null;
  /** Generations running at once (default: the model's preferredConcurrency). */
  maxConcurrency?: number;
  /** Requests waiting for a slot before 429 (default 64). */
  maxQueue?: number;
  /** Largest request body, 413 above (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * How long a request body may take to arrive once the headers have (default 30 s; 0:
   * no limit): slower → 408 and the connection is closed. Generation time is not covered.
   */
  bodyTimeoutMs?: number;
  /** max_tokens when a request gives none (default 128). */
  defaultMaxTokens?: number;
  /** Largest max_tokens a request may ask for (default 2048). */
  maxTokensLimit?: number;
  /** Watermark floor on temperature: requests below it are sampled at it (default 0: off). */
  minTemperature?: number;
  /** How long draining waits for in-flight requests before aborting them (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Structured log lines (never given secrets); default: none. */
  log?: (event: Record<string, unknown>) => void;
  /** Log one line per request. */
  verbose?: boolean;
}

export interface HandlerStats {
  active: number;
  queued: number;
  inFlight: number;
  draining: boolean;
}

/** A node:http request listener, with the state and the shutdown of what it serves. */
export interface TracemarkHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly stats: HandlerStats;
  /** The writer responses are recorded with (null without a ledger). */
  readonly ledger: LedgerWriter | null;
  /**
   * Refuse new requests (503, connection: close), wait for in-flight ones until the
   * shutdown deadline (calling `whileWaiting` between checks, e.g. to close idle
   * keep-alive connections), then abort the rest. Idempotent.
   */
  drain(hooks?: { whileWaiting?: () => void }): Promise<void>;
  /** Drain, then commit and close the ledger and dispose of the model. Idempotent. */
  close(): Promise<void>;
}

/** The handler for `http.createServer(handler)` or a route of an existing server. */
export function createHandler(options: HandlerOptions): TracemarkHandler {
  const h = new Handler(options);
  const handler = ((req: IncomingMessage, res: ServerResponse): void => h.handle(req, res)) as TracemarkHandler;
  Object.defineProperties(handler, {
    stats: { get: () => h.stats, enumerable: true },
    ledger: { value: h.ledger, enumerable: true },
    drain: { value: (hooks?: { whileWaiting?: () => void }) => h.drain(hooks) },
    close: { value: () => h.close() },
  });
  return handler;
}

interface Settings {
  wm: Watermark | null;
  model: ServedModel;
  apiKeys: ApiKeys | null;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  shutdownTimeoutMs: number;
  log: (event: Record<string, unknown>) => void;
  verbose: boolean;
}

export const ANONYMOUS = 'anonymous';

class Handler {
  readonly #o: Settings;
  readonly ledger: LedgerWriter | null;
  readonly #limiter: Limiter;
  readonly #gen: GenerationContext;
  readonly #created = Math.floor(Date.now() / 1000);
  /**
   * The abort controllers of the generations in flight, aborted when the shutdown
   * deadline passes (a set rather than one listener per request on a shared signal,
   * which Node warns about past 10).
   */
  readonly #generations = new Set<AbortController>();
  #hardStopReason: Aborted | null = null;
  readonly #inFlight = new Set<Promise<void>>();
  #draining = false;
  #drained: Promise<void> | null = null;
  #closed: Promise<void> | null = null;

  constructor(o: HandlerOptions) {
    if ((o.wm === undefined) === (o.engine === undefined)) throw new TypeError('createHandler: give exactly one of wm and engine');
    if (o.engine !== undefined) {
      if (o.model.engineStep === undefined) throw new TypeError(`createHandler: the model ${o.model.id} cannot serve an engine's watermark`);
      checkEngineMarking(o.engine);
    }
    const ledger = o.ledger ?? null;
    this.ledger = ledger === null || ledger instanceof LedgerWriter ? ledger : new LedgerWriter(ledger);
    this.#o = {
      wm: o.wm ?? null,
      model: o.model,
      apiKeys: o.apiKeys ?? null,
      maxBodyBytes: o.maxBodyBytes ?? 1 << 20,
      bodyTimeoutMs: o.bodyTimeoutMs ?? 30_000,
      shutdownTimeoutMs: o.shutdownTimeoutMs ?? 10_000,
      log: o.log ?? (() => {}),
      verbose: o.verbose === true,
    };
    this.#limiter = new Limiter(o.maxConcurrency ?? o.model.preferredConcurrency, o.maxQueue ?? 64);
    this.#gen = {
      wm: o.wm ?? null,
      engine: o.engine ?? null,
      model: o.model,
      ledger: this.ledger,
      defaultMaxTokens: o.defaultMaxTokens ?? 128,
      maxTokensLimit: o.maxTokensLimit ?? 2048,
      minTemperature: o.minTemperature ?? 0,
    };
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#track(this.#handle(req, res));
  }

  get stats(): HandlerStats {
    return { active: this.#limiter.active, queued: this.#limiter.queued, inFlight: this.#inFlight.size, draining: this.#draining };
  }

  drain(hooks: { whileWaiting?: () => void } = {}): Promise<void> {
    this.#draining = true;
    this.#drained ??= this.#drain(hooks.whileWaiting ?? (() => {}));
    return this.#drained;
  }

  async #drain(whileWaiting: () => void): Promise<void> {
    const deadline = Date.now() + this.#o.shutdownTimeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(Math.max(1, Math.min(100, deadline - Date.now())))]);
      whileWaiting();
    }
    if (this.#inFlight.size > 0) {
      this.#o.log({ event: 'shutdown-abort', inFlight: this.#inFlight.size });
      this.#hardStopReason = new Aborted('server shutting down');
      for (const ac of this.#generations) ac.abort(this.#hardStopReason);
      await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(5_000)]);
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.drain();
      await this.ledger?.close();
      await this.#o.model.dispose().catch(() => {});
    })();
    return this.#closed;
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
      const path = requestPath(req.url);
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
        const id = decodePathSegment(path.slice('/v1/models/'.length));
        if (id !== this.#o.model.id) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
        sendJson(res, 200, modelObject(id, this.#created));
        return;
      }
      if (path === '/v1/completions' || path === '/v1/chat/completions') {
        if (req.method !== 'POST') throw methodNotAllowed(req.method);
        const body = parseJsonBody(await readBody(req, this.#o.maxBodyBytes, this.#o.bodyTimeoutMs));
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
    if (this.#hardStopReason !== null) ac.abort(this.#hardStopReason);
    this.#generations.add(ac);
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
      this.#generations.delete(ac);
    }
  }

  #authenticate(req: IncomingMessage): Account {
    const keys = this.#o.apiKeys;
    if (keys === null) return { account: ANONYMOUS, accountId: this.#o.wm?.spec.payload ? 0 : null };
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
      if (e.status === 408) {
        // The rest of the body is never read: answer, then close the connection.
        res.setHeader('connection', 'close');
        res.once('finish', () => res.socket?.destroy());
      }
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

/** The request's path, without trailing slashes; an unparsable request target → 400. */
function requestPath(target: string | undefined): string {
  let pathname: string;
  try {
    pathname = new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    throw new ApiError(400, 'the request URL is not valid', 'invalid_request_error', null, 'invalid_url');
  }
  return pathname.replace(/\/+$/, '') || '/';
}

/** A percent-decoded path segment; a malformed escape (e.g. %ZZ) → 400, not a 500. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `the request URL has a malformed percent-escape: ${segment}`, 'invalid_request_error', null, 'invalid_url');
  }
}

function methodNotAllowed(method: string | undefined): ApiError {
  return new ApiError(405, `method ${method ?? '?'} is not allowed here`, 'invalid_request_error', null, 'method_not_allowed');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
