/**
 * The upstream proxy on its own port: the proxy handler on a node:http server, with
 * listen and graceful shutdown (stop accepting, drain, abort what is left, commit and
 * close the ledger).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    this.#server = createServer({ connectionsCheckingInterval: 1_000 }, this.handler);
    this.#server.headersTimeout = 15_000;
    const bodyTimeout = o.bodyTimeoutMs ?? 30_000;
    this.#server.requestTimeout = bodyTimeout > 0 ? 15_000 + bodyTimeout + 5_000 : 0;
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        const a = this.#server.address() as AddressInfo;
        resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
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
