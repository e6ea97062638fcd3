/**
 * Redis in a vitest file: `const redis = useRedis()` starts one server for the file
 * (beforeAll) and stops it (afterAll; process exit as a fallback). Without the binary
 * the file's tests skip with a loud warning saying what to install, except under
 * TRACEMARK_CI=1, where they are mandatory and fail.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { redisUnavailable, startRedis, type TestRedis } from '@tracemark/scan-queue/testing';

const why = redisUnavailable();
const mandatory = process.env.TRACEMARK_CI === '1';

/** True when the Redis tests run here. */
export const redisRuns = why === null || mandatory;

if (why !== null && !mandatory) {
  console.warn(
    `\n*** SKIPPING the scan-queue (BullMQ on Redis) tests: ${why}. Install Redis (Debian/Ubuntu: apt-get install redis-server) to run them; they are mandatory in CI (TRACEMARK_CI=1). ***\n`,
  );
}

/** describe() when Redis is available (or mandatory), describe.skip() otherwise. */
export const describeRedis = redisRuns ? describe : describe.skip;

/** The file's Redis (started in beforeAll, stopped in afterAll). */
export function useRedis(): () => TestRedis {
  let server: TestRedis | null = null;
  if (!redisRuns) return () => {
    throw new Error('Redis is not available');
  };
  beforeAll(async () => {
    server = await startRedis();
  }, 60_000);
  afterAll(() => server?.stop());
  if (why !== null) {
    // Mandatory (CI) but absent: make the failure say why, not just "beforeAll failed".
    it('redis-server is available (mandatory under TRACEMARK_CI=1)', () => {
      throw new Error(`${why}; install redis-server`);
    });
  }
  return () => {
    if (server === null) throw new Error('Redis did not start');
    return server;
  };
}
