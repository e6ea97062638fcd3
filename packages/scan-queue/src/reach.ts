/**
 * Is Redis there? One short-lived connection with no retries and a deadline, so that a
 * wrong host, a closed port, a wrong password or a non-Redis server is one clear line
 * at start-up — BullMQ's own connections would instead retry forever, silently.
 */
import { Redis } from 'ioredis';
import { queueUsage } from './errors.js';
import { addressOptions, type RedisTarget } from './redis-url.js';

export async function assertRedisReachable(t: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...addressOptions(t),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The 'error' event carries the cause (ECONNREFUSED, ENOTFOUND, WRONGPASS …); the
  // rejected promise often only says "Connection is closed".
  let cause: Error | undefined;
  client.on('error', (e: Error) => (cause ??= e));
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
  } catch (e) {
    const err = cause ?? e;
    const msg = err instanceof Error ? err.message : String(err);
    // the message never holds the password: ioredis reports codes and host:port only
    throw queueUsage(`cannot reach Redis at ${t.display}: ${msg.split('\n')[0]}`);
  } finally {
    client.disconnect();
  }
}
