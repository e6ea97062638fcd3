/**
 * A minimal OpenAI-compatible client on fetch: one request with a timeout, retries with
 * exponential backoff and full jitter on 429, 5xx, timeouts and network errors
 * (honouring Retry-After), and a shared rate limiter. The API key goes only into the
 * Authorization header: it is never logged, hashed into the transcript, or echoed.
 */

export type Endpoint = 'chat' | 'completions';

export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** The endpoint could not be reached at all (connection refused, unknown host, …). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/** Retries ran out for one request (the prompt stays unanswered; a later --resume asks again). */
export class RetriesExhausted extends Error {
  override name = 'RetriesExhausted';
}

export class AbortedError extends Error {
  override name = 'AbortedError';
}

export interface RawResponse {
  status: number;
  body: string;
  attempts: number;
}

/** Requests start at most `rps` per second (0 = unlimited), across all workers. */
export class RateLimiter {
  #next = 0;
  constructor(readonly rps: number) {}
  async wait(signal?: AbortSignal): Promise<void> {
    if (!(this.rps > 0)) return;
    const now = Date.now();
    const at = Math.max(now, this.#next);
    this.#next = at + 1000 / this.rps;
    if (at > now) await sleep(at - now, signal);
  }
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AbortedError('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^attempt)], at least Retry-After. */
export function backoffMs(attempt: number, p: RetryPolicy, retryAfterMs: number | null, rand: () => number = Math.random): number {
  const cap = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt);
  const d = Math.floor(rand() * cap);
  return retryAfterMs !== null ? Math.max(d, Math.min(retryAfterMs, p.maxDelayMs)) : d;
}

function retryAfter(h: string | null): number | null {
  if (h === null) return null;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : null;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

function causeCode(e: unknown): string | undefined {
  const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause;
  return c?.code ?? c?.errors?.[0]?.code;
}

function errorText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string };
    const m = typeof j.error === 'string' ? j.error : j.error?.message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    /* not JSON */
  }
  return body.slice(0, 200).replace(/\s+/g, ' ');
}

export interface PostOptions {
  url: string;
  body: string;
  apiKey: string | undefined;
  policy: RetryPolicy;
  limiter: RateLimiter;
  signal: AbortSignal;
  /** Called before each retry (for counting and progress). */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
  /** True once any request to this endpoint has succeeded: an unreachable endpoint is then retried, not fatal. */
  everReached: () => boolean;
}

/**
 * POST a JSON body; resolves with the 2xx response, or throws PermanentError (a 4xx other
 * than 429: the run cannot succeed), UnreachableError, RetriesExhausted or AbortedError.
 */
export async function postWithRetry(o: PostOptions): Promise<RawResponse> {
  for (let attempt = 0; ; attempt++) {
    await o.limiter.wait(o.signal);
    let reason: string;
    let ra: number | null = null;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(new Error('timeout')), o.policy.timeoutMs);
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
      const res = await fetch(o.url, { method: 'POST', headers, body: o.body, signal: ac.signal });
      const body = await res.text();
      if (res.ok) return { status: res.status, body, attempts: attempt + 1 };
      if (res.status === 429 || res.status >= 500) {
        reason = `HTTP ${res.status}`;
        ra = retryAfter(res.headers.get('retry-after'));
      } else {
        throw new PermanentError(`${o.url} answered HTTP ${res.status}: ${errorText(body)}`, res.status);
      }
    } catch (e) {
      if (e instanceof PermanentError) throw e;
      if (o.signal.aborted) throw new AbortedError('aborted');
      const code = causeCode(e);
      const causeMsg = (e as { cause?: { message?: unknown } })?.cause?.message;
      if (causeMsg === 'bad port') throw new PermanentError(`cannot use ${o.url}: fetch refuses this port (a browser "bad port")`, null);
      if (ac.signal.aborted) reason = `no answer within ${o.policy.timeoutMs} ms`;
      else reason = code ?? (e as Error).message;
      if (code !== undefined && UNREACHABLE.has(code) && !o.everReached()) {
        throw new UnreachableError(`cannot reach ${o.url}: ${code === 'ECONNREFUSED' ? 'connection refused' : code}`);
      }
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
    }
    if (attempt >= o.policy.retries) throw new RetriesExhausted(`giving up after ${attempt + 1} attempts (last: ${reason})`);
    const delay = backoffMs(attempt, o.policy, ra);
    o.onRetry?.(attempt + 1, reason, delay);
    await sleep(delay, o.signal);
  }
}
