/**
 * The --queue URL: `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
 * Parsed once into the connection options every BullMQ object of a process uses, and
 * into a display form without the password (`redactedUrl`), because the URL is echoed in
 * error messages and logs and a password must never be.
 */
import type { RedisOptions } from 'bullmq';
import { queueUsage } from './errors.js';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** The URL as shown to people: the password, if any, replaced by `***`. */
  display: string;
}

const DEFAULT_PORT = 6379;

/** The URL without its password (`redis://user:***@host:port/db`), whatever was given. Never throws. */
export function redactedUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) {
      u.password = '***';
      return u.toString().replace(/\/$/, '');
    }
    if (u.username || !raw.includes('@')) return u.toString().replace(/\/$/, '');
  } catch {
    /* not a URL: below */
  }
  // Something with an '@' that did not parse as user:password@host (`u:secret@host`, `redis//a:b@c`):
  // everything before the last '@' may be a secret.
  if (!raw.includes('@')) return raw;
  const start = raw.includes('://') ? raw.indexOf('://') + 3 : 0;
  return `${raw.slice(0, start)}***${raw.slice(raw.lastIndexOf('@'))}`;
}

export function parseRedisUrl(raw: string): RedisTarget {
  const shown = redactedUrl(raw);
  const bad = (why: string) => queueUsage(`--queue ${JSON.stringify(shown)}: ${why} (expected redis://host:port or rediss://host:port, optionally with /db)`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`unsupported scheme ${JSON.stringify(u.protocol.slice(0, -1))}`);
  if (u.hostname === '') throw bad('no host');
  if (u.search !== '' || u.hash !== '') throw bad('query strings and fragments are not supported');
  const port = u.port === '' ? DEFAULT_PORT : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('bad port');
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^(0|[1-9]\d{0,4})$/.test(path)) throw bad(`the path must be a database number, got ${JSON.stringify(path)}`);
  const target: RedisTarget = {
    // [::1] → ::1 for the socket layer
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: path === '' ? 0 : Number(path),
    tls: u.protocol === 'rediss:',
    display: shown,
  };
  if (u.username !== '') target.username = decodeURIComponent(u.username);
  if (u.password !== '') target.password = decodeURIComponent(u.password);
  return target;
}

/**
 * ioredis options for BullMQ's long-lived connections: `maxRetriesPerRequest: null`
 * (BullMQ requires it for workers: a blocking command must wait out a Redis restart, not
 * fail after 20 retries), reconnecting with a capped backoff.
 */
export function connectionOptions(t: RedisTarget): RedisOptions {
  return {
    ...addressOptions(t),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 5000),
  };
}

/** Where and as whom to connect: the options every connection to `t` shares. */
export function addressOptions(t: RedisTarget): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: {} } : {}),
  };
}
