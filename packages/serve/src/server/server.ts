/**
 * The server on its own port: the request handler (handler.ts) on a node:http
 * server, with listen and graceful shutdown.
 *
 * Shutdown: stop accepting connections, refuse new requests on open ones (503), let
 * in-flight generations finish until the deadline, abort the rest, commit and close
 * the ledger, stop the model.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LedgerWriter } from '../ledger/writer.js';
import { createHandler, type HandlerOptions, type HandlerStats, type TracemarkHandler } from './handler.js';

export interface ServerOptions extends HandlerOptions {
  host: string;
  port: number;
}

export class TracemarkServer {
  readonly #o: ServerOptions;
  readonly #server: Server;
  readonly #handler: TracemarkHandler;
  #stopped: Promise<void> | null = null;

  constructor(o: ServerOptions) {
    this.#o = o;
    this.#handler = createHandler(o);
    // Headers must arrive within 15 s; the handler refuses a body still incomplete
    // `bodyTimeoutMs` later (408, connection closed). Node's own request timeout stays
    // as a backstop just beyond both; its expiry is checked every second (Node's
    // default, 30 s, let a trickled request hold its connection for up to a minute).
    // Generation time is not covered by either.
    const headersTimeout = 15_000;
    const bodyTimeout = o.bodyTimeoutMs ?? 30_000;
    this.#server = createServer({ connectionsCheckingInterval: 1_000 }, this.#handler);
    this.#server.headersTimeout = headersTimeout;
    this.#server.requestTimeout = bodyTimeout > 0 ? headersTimeout + bodyTimeout + 5_000 : 0;
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

  get stats(): HandlerStats {
    return this.#handler.stats;
  }

  /** The writer responses are recorded with (null without a ledger). */
  get ledger(): LedgerWriter | null {
    return this.#handler.ledger;
  }

  /** Graceful shutdown (idempotent). */
  shutdown(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    const drained = this.#handler.drain({ whileWaiting: () => this.#server.closeIdleConnections() });
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    this.#server.closeIdleConnections();
    await drained;
    this.#server.closeAllConnections();
    await closed;
    await this.#handler.close();
  }
}
