/**
 * The server on its own port: the request handler (handler.ts) on a node:http
 * server, with listen and graceful shutdown.
 *
 * Shutdown: stop accepting connections, refuse new requests on open ones (503), let
 * in-flight generations finish until the deadline, abort the rest, commit and close
 * the ledger, stop the model.
 */
import type { Server } from 'node:http';
import type { LedgerWriter } from '../ledger/writer.js';
import { createApiServer, listenUrl } from './listen.js';
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
    this.#server = createApiServer(this.#handler, o.bodyTimeoutMs);
  }

  /** Listen; resolves with the bound URL (port 0 → a free port). */
  listen(): Promise<string> {
    return listenUrl(this.#server, this.#o.port, this.#o.host);
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
