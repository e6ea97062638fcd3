/**
 * Relaying one generation response from the upstream to the caller, recording it in
 * the ledger before the bytes that complete it:
 *
 *   JSON    the whole upstream body is read (bounded), checked, its rows committed,
 *           then sent to the caller byte for byte.
 *   stream  each SSE event is forwarded as soon as it is complete (checked first);
 *           the upstream's `data: [DONE]` is held back until the rows are committed.
 *
 * Faults (timeout, 5xx, connection lost, malformed JSON, a stream that ends without
 * [DONE]): before anything was sent, an OpenAI-shaped error response (502/504) and no
 * row; in mid-stream, an OpenAI-shaped error event and the end of the stream (no
 * [DONE]), and — if some text was already forwarded — rows marked `incomplete`
 * holding exactly the text forwarded. A caller that goes away mid-stream: the
 * upstream request is aborted and the forwarded text is recorded `incomplete` too.
 */
import type { ServerResponse } from 'node:http';
import type { LedgerWriter } from '../ledger/writer.js';
import type { Account } from '../server/apikeys.js';
import { ApiError } from '../server/errors.js';
import { sendJson } from '../server/http.js';
import { responseId } from '../server/shapes.js';
import { ResponseAccumulator } from './accumulate.js';
import { recordsOf, type TokenCounter } from './record.js';
import type { ProxyRequest } from './request.js';
import { errorEvent, SseSplitter } from './sse.js';
import { asFault, readAll, UpstreamFault, type IdleTimer, type UpstreamReader, type UpstreamResponse } from './upstream.js';

export interface RelayContext {
  ledger: LedgerWriter | null;
  count: TokenCounter;
  maxResponseBytes: number;
  log: (event: Record<string, unknown>) => void;
}

export interface Relay {
  req: ProxyRequest;
  account: Account;
  upstream: UpstreamResponse;
  res: ServerResponse;
  ac: AbortController;
  timer: IdleTimer;
}

/** The upstream's status was not 2xx: its error for the caller (5xx and auth problems become 502). */
export async function upstreamStatusError(r: Pick<Relay, 'upstream' | 'ac' | 'timer'>, maxBytes: number): Promise<ApiError> {
  const status = r.upstream.status;
  type ErrBody = { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } };
  let body: ErrBody | null;
  try {
    body = JSON.parse((await readAll(r.upstream, maxBytes, r.ac, r.timer)).toString('utf8')) as ErrBody;
  } catch {
    body = null;
  }
  // The upstream's 5xx details and its opinion of our key are not the caller's business.
  if (status >= 500 || status === 401 || status === 403 || status < 400) {
    return new UpstreamFault('status', `the upstream answered HTTP ${status}`).toApi();
  }
  const e = body?.error;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return new ApiError(
    status,
    str(e?.message) ?? `the upstream refused the request (HTTP ${status})`,
    str(e?.type) ?? 'invalid_request_error',
    str(e?.param),
    str(e?.code) ?? (status === 429 ? 'rate_limit_exceeded' : null),
  );
}

export async function relayJson(ctx: RelayContext, r: Relay): Promise<void> {
  const bytes = await readAll(r.upstream, ctx.maxResponseBytes, r.ac, r.timer);
  r.timer.clear();
  const acc = new ResponseAccumulator();
  acc.body(bytes);
  const id = responseId(r.req.endpoint);
  const rows = recordsOf(r.req, acc, r.account, id, ctx.count, { fallbackModel: String(r.req.body.model) });
  if (ctx.ledger) await Promise.all(rows.map((row) => ctx.ledger!.append(row)));
  r.res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length, 'x-request-id': id });
  r.res.end(bytes);
}

export async function relayStream(ctx: RelayContext, r: Relay): Promise<void> {
  const { res } = r;
  const id = responseId(r.req.endpoint);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': id,
  });
  res.flushHeaders();
  const acc = new ResponseAccumulator();
  const splitter = new SseSplitter();
  const record = (incomplete: boolean) =>
    recordsOf(r.req, acc, r.account, id, ctx.count, { incomplete, fallbackModel: String(r.req.body.model) });
  let sawDone = false;
  try {
    if (r.upstream.body === null) throw new UpstreamFault('incomplete', 'the upstream stream has no body');
    const reader = r.upstream.body.getReader();
    outer: for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (e) {
        throw asFault(e, r.ac, 'connection_lost');
      }
      if (step.done) break;
      r.timer.touch();
      for (const ev of splitter.push(step.value)) {
        if (ev.data === '[DONE]') {
          sawDone = true;
          break outer;
        }
        if (ev.data !== null) {
          const err = acc.chunk(ev.data);
          if (err !== null) throw new UpstreamFault('status', `the upstream reported an error in the stream: ${messageOf(err.error)}`);
        }
        if (!res.write(ev.raw)) await drained(res, r.ac);
      }
    }
    r.timer.clear();
    if (!sawDone) throw new UpstreamFault('incomplete', 'the upstream stream ended without [DONE]');
    if (ctx.ledger) {
      try {
        await Promise.all(record(false).map((row) => ctx.ledger!.append(row)));
      } catch (e) {
        ctx.log({ event: 'error', message: (e as Error).message });
        endWithError(res, new ApiError(500, 'internal server error', 'server_error', null, 'internal_error'));
        return;
      }
    }
    res.end('data: [DONE]\n\n');
    void finishReading(reader, r);
  } catch (e) {
    r.timer.clear();
    if (!r.ac.signal.aborted) r.ac.abort(e);
    if (ctx.ledger) {
      const rows = record(true);
      if (rows.length > 0) await Promise.all(rows.map((row) => ctx.ledger!.append(row))).catch(() => {});
    }
    if (e instanceof UpstreamFault) endWithError(res, e.toApi());
    else if (e instanceof ApiError) endWithError(res, e);
    else if (!res.destroyed && !res.writableEnded) res.destroy();
  }
}

/**
 * After [DONE], read what the upstream still sends (normally nothing but the end of
 * the response) so its connection can be reused; a stalled upstream is cut by the timer.
 */
async function finishReading(reader: UpstreamReader, r: Relay): Promise<void> {
  // Its own deadline: the request's idle timer is cleared when the handler returns.
  const t = setTimeout(() => void reader.cancel().catch(() => {}), r.timer.ms > 0 ? r.timer.ms : 60_000);
  try {
    while (!(await reader.read()).done);
  } catch {
    // the upstream went away after [DONE]: nothing was lost
  } finally {
    clearTimeout(t);
  }
}

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown })?.message;
  return typeof m === 'string' ? m.slice(0, 500) : 'no message';
}

/** An error event, then the end of the stream (no [DONE]). A caller already gone gets nothing. */
function endWithError(res: ServerResponse, e: ApiError): void {
  if (res.destroyed || res.writableEnded) return;
  res.end(errorEvent(e.body()));
}

/** Wait for the caller to take more bytes (backpressure); rejects if the request is aborted. */
function drained(res: ServerResponse, ac: AbortController): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      res.off('drain', onDrain);
      reject(ac.signal.reason as Error);
    };
    const onDrain = (): void => {
      ac.signal.removeEventListener('abort', onAbort);
      resolve();
    };
    res.once('drain', onDrain);
    ac.signal.addEventListener('abort', onAbort, { once: true });
  });
}

export { sendJson };
