/**
 * The upstream proxy on its own port: the proxy handler on a node:http server, with
 * listen and graceful shutdown (stop accepting, drain, abort what is left, commit and
 * close the ledger).
 */
import type { Server } from 'node:http';
import { createApiServer, listenUrl } from '../server/listen.js';
import { createProxyHandler, type ProxyHandler, type ProxyOptions, type ProxyStats } from './proxy.js';

export interface ProxyServerOptions extends ProxyOptions {
  host: string;
  port: number;
}

export class ProxyServer {
  readonly #o: ProxyServerOptions;
  readonly #server: Server;
  readonly handler: ProxyHandler;
  #stopped: Promise<void> | null = null;

  constructor(o: ProxyServerOptions) {
    this.#o = o;
    this.handler = createProxyHandler(o);
    this.#server = createApiServer(this.handler, o.bodyTimeoutMs);
  }

  listen(): Promise<string> {
    return listenUrl(this.#server, this.#o.port, this.#o.host);
  }

  get stats(): ProxyStats {
    return this.handler.stats;
  }

  shutdown(): Promise<void> {
    this.#stopped ??= (async () => {
      const drained = this.handler.drain({ whileWaiting: () => this.#server.closeIdleConnections() });
      const closed = new Promise<void>((r) => this.#server.close(() => r()));
      this.#server.closeIdleConnections();
      await drained;
      this.#server.closeAllConnections();
      await closed;
      await this.handler.close();
    })();
    return this.#stopped;
  }
}
