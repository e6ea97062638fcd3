/**
 * A throwaway Redis for tests and benchmarks: Debian's `redis-server` (/usr/bin, or
 * TRACEMARK_REDIS_SERVER), on a free loopback port, its working directory a temporary
 * directory, no persistence (`--save '' --appendonly no`). Stopped (SIGKILL: nothing of
 * it is worth keeping) and its directory removed however this process ends: stop(), the
 * process's exit, or SIGINT / SIGTERM / SIGHUP. `restart()` simulates an outage: the server
 * is killed and an empty one started on the same port.
 *
 * Without the binary: `redisUnavailable()` says why; `describeRedis` (packages/cli/test/helpers/redis.ts)
 * skips loudly, or fails under TRACEMARK_CI=1 where the queue tests are mandatory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT = 'install Redis (Debian/Ubuntu: apt-get install redis-server) to run them';

export function redisServerBinary(): string | null {
  const candidates = process.env.TRACEMARK_REDIS_SERVER ? [process.env.TRACEMARK_REDIS_SERVER] : ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** null when a Redis can be started here, else why not (one line). */
export function redisUnavailable(): string | null {
  return redisServerBinary() === null ? 'redis-server not found (/usr/bin/redis-server)' : null;
}

export interface TestRedis {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  dir: string;
  /** Kill the server (SIGKILL) and start an empty one on the same port: an outage that loses every queue. */
  restart(): Promise<void>;
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

/** Resolves once `port` accepts a connection and answers PING, rejects after `ms`. */
async function waitForPing(port: number, child: ChildProcess, log: () => string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${log().trim().split('\n').slice(-3).join(' | ')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => c.write('PING\r\n'));
      c.setTimeout(1000, () => (c.destroy(), resolve(false)));
      c.once('data', (d) => (c.destroy(), resolve(d.toString().startsWith('+PONG'))));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(): Promise<TestRedis> {
  const bin = redisServerBinary();
  if (bin === null) throw new Error(`cannot start Redis: ${redisUnavailable()}; ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-redis-'));
  let child: ChildProcess | null = null;
  let stopped = false;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // Interrupted: stop the server, then let the signal do what it would have done.
  const onSignal = (sig: NodeJS.Signals): void => {
    stop();
    process.kill(process.pid, sig);
  };
  const kill = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stop);
    for (const sig of signals) process.removeListener(sig, onSignal);
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  /** A server on `port`, answering PING. */
  const launch = async (port: number): Promise<void> => {
    let log = '';
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
    c.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
    c.unref();
    (c.stdout as unknown as { unref?: () => void }).unref?.();
    (c.stderr as unknown as { unref?: () => void }).unref?.();
    try {
      await waitForPing(port, c, () => log);
    } catch (e) {
      c.kill('SIGKILL');
      throw e;
    }
  };
  process.once('exit', stop);
  for (const sig of signals) process.once(sig, onSignal);
  try {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      try {
        await launch(port);
      } catch (e) {
        if (attempt >= 2) throw e; // the port was taken between the probe and the start
        continue;
      }
      const restart = async (): Promise<void> => {
        kill();
        await new Promise((r) => setTimeout(r, 100));
        await launch(port);
      };
      return { url: `redis://127.0.0.1:${port}`, port, dir, stop, restart };
    }
  } catch (e) {
    stop();
    throw e;
  }
}
