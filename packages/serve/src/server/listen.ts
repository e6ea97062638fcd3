/**
 * The node:http server both `tracemark serve` and the upstream proxy run their handler on,
 * and listening on it.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Headers must arrive within 15 s; the handler refuses a body still incomplete
 * `bodyTimeoutMs` later (408, connection closed). Node's own request timeout stays as a
 * backstop just beyond both; its expiry is checked every second (Node's default, 30 s, let a
 * trickled request hold its connection for up to a minute). Generation time is not covered.
 */
export function createApiServer(handler: RequestListener, bodyTimeoutMs = 30_000): Server {
  const headersTimeout = 15_000;
  const server = createServer({ connectionsCheckingInterval: 1_000 }, handler);
  server.headersTimeout = headersTimeout;
  server.requestTimeout = bodyTimeoutMs > 0 ? headersTimeout + bodyTimeoutMs + 5_000 : 0;
  return server;
}

/** Listen; resolves with the bound URL (port 0 → a free port). */
export function listenUrl(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}
