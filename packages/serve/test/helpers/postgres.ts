/**
 * A throwaway PostgreSQL for tests and benchmarks: Debian's `postgresql` binaries
 * (/usr/lib/postgresql/<version>/bin), `initdb` in a temporary directory, a free
 * loopback port, the unix socket in that directory, password authentication (the URL
 * carries a random password, so tests can check it is never printed). Stopped with
 * `pg_ctl stop -m immediate` and its directory removed however the process ends
 * (stop(), the process's exit, or SIGINT / SIGTERM / SIGHUP). PostgreSQL refuses to run as root: when this
 * process is root it runs initdb / pg_ctl as the `postgres` system user (runuser).
 *
 * Without the binaries: `postgresAvailable()` says why; `describePostgres` (vitest)
 * skips loudly, or fails under TRACEMARK_CI=1 where the PostgreSQL tests are mandatory.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT = 'install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) to run them';

/** The newest /usr/lib/postgresql/<v>/bin with initdb, pg_ctl and postgres, or null. */
export function postgresBinDir(): string | null {
  const root = process.env.TRACEMARK_PG_BIN ? null : '/usr/lib/postgresql';
  const candidates = process.env.TRACEMARK_PG_BIN
    ? [process.env.TRACEMARK_PG_BIN]
    : existsSync(root!)
      ? readdirSync(root!)
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => join(root!, v, 'bin'))
      : [];
  return candidates.find((d) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(d, b)))) ?? null;
}

/** null when a PostgreSQL can be started here, else why not (one line). */
export function postgresUnavailable(): string | null {
  if (postgresBinDir() === null) return 'PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no `postgres` user to run PostgreSQL as';
  return null;
}

export interface TestPostgres {
  /** postgres://tracemark:<password>@127.0.0.1:<port>/postgres */
  url: string;
  password: string;
  port: number;
  dir: string;
  /** A fresh, empty database on this server; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Crash the server (`pg_ctl stop -m immediate`) and start it again on the same port and data (outage tests). */
  crash(): void;
  restart(): void;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Start a PostgreSQL (fsync and synchronous_commit at their defaults: on). `settings` are extra `-c k=v`. */
export async function startPostgres(settings: Record<string, string> = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const why = postgresUnavailable();
  if (bin === null || why !== null) throw new Error(`cannot start PostgreSQL: ${why}; ${INSTALL_HINT}`);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-pg-'));
  const data = join(dir, 'data');
  let stopped = false;
  const run = (cmd: string, args: string[], check = true): string => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, cmd), ...args] : [join(bin, cmd), ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    if (check && r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-3).join(' | ')}`);
    return r.stdout;
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // Interrupted: stop the server, then let the signal do what it would have done.
  const onSignal = (sig: NodeJS.Signals): void => {
    stop();
    process.kill(process.pid, sig);
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stop);
    for (const sig of signals) process.removeListener(sig, onSignal);
    if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w'], false);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  for (const sig of signals) process.once(sig, onSignal);
  try {
    const password = randomBytes(18).toString('base64url');
    writeFileSync(join(dir, 'pw'), password);
    if (asRoot) {
      const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim();
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim();
      chownSync(dir, Number(ids), Number(gid));
      chownSync(join(dir, 'pw'), Number(ids), Number(gid));
    }
    chmodSync(join(dir, 'pw'), 0o600);
    run('initdb', ['-D', data, '-U', 'tracemark', '--pwfile', join(dir, 'pw'), '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
    rmSync(join(dir, 'pw'));
    let port = 0;
    const startOn = (p: number): void => {
      const opts = [`-p ${p}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c max_connections=60', '-c shared_buffers=32MB'];
      for (const [k, v] of Object.entries(settings)) opts.push(`-c ${k}=${v}`);
      run('pg_ctl', ['start', '-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', opts.join(' ')]);
    };
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        startOn(port);
        break;
      } catch (e) {
        if (attempt >= 2) throw e; // the port was taken between the probe and the start
      }
    }
    const url = (db: string): string => `postgres://tracemark:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
    return {
      url: url('postgres'),
      password,
      port,
      dir,
      stop,
      crash: () => void run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']),
      restart: () => startOn(port),
      async createDatabase(name: string): Promise<string> {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
        const { default: pg } = await import('pg');
        const c = new pg.Client({ connectionString: url('postgres') });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE "${name}"`);
        } finally {
          await c.end();
        }
        return url(name);
      },
    };
  } catch (e) {
    stop();
    throw e;
  }
}
