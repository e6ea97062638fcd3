/**
 * PostgreSQL in a vitest file: `const pg = usePostgres()` starts one server for the
 * file (beforeAll) and stops it (afterAll; process exit as a fallback). Without the
 * binaries the file's tests skip with a loud warning saying what to install, except
 * under TRACEMARK_CI=1, where they are mandatory and fail.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { postgresUnavailable, startPostgres, type TestPostgres } from './postgres.js';

const why = postgresUnavailable();
const mandatory = process.env.TRACEMARK_CI === '1';

/** True when the PostgreSQL tests run here. */
export const postgresRuns = why === null || mandatory;

if (why !== null && !mandatory) {
  console.warn(
    `\n*** SKIPPING the PostgreSQL ledger tests: ${why}. Install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) to run them; they are mandatory in CI (TRACEMARK_CI=1). ***\n`,
  );
}

/** describe() when PostgreSQL is available (or mandatory), describe.skip() otherwise. */
export const describePostgres = postgresRuns ? describe : describe.skip;

/** The file's PostgreSQL (started in beforeAll, stopped in afterAll). */
export function usePostgres(settings: Record<string, string> = {}): () => TestPostgres {
  let server: TestPostgres | null = null;
  if (!postgresRuns) return () => {
    throw new Error('PostgreSQL is not available');
  };
  beforeAll(async () => {
    server = await startPostgres(settings);
  }, 180_000);
  afterAll(() => server?.stop());
  if (why !== null) {
    // Mandatory (CI) but absent: make the failure say why, not just "beforeAll failed".
    it('PostgreSQL is available (mandatory under TRACEMARK_CI=1)', () => {
      throw new Error(`${why}; install postgresql`);
    });
  }
  return () => {
    if (server === null) throw new Error('PostgreSQL did not start');
    return server;
  };
}
