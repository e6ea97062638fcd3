/**
 * Start `tracemark serve --port 0` as a child process on 127.0.0.1 and wait for its
 * {"event":"listening","url":…} line. The handle stops it gracefully (SIGTERM) or
 * hard (SIGKILL), always within a bounded time.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './cli.js';

export interface ServeHandle {
  url: string;
  /** Base URL for the openai client: <url>/v1. */
  baseURL: string;
  proc: ChildProcess;
  /** Parsed JSON lines printed on stdout so far. */
  events: Record<string, unknown>[];
  stderr(): string;
  /** SIGTERM and wait for exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (kill -9) and wait for exit. */
  kill9(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServe(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ServeHandle> {
  if (args.includes('--host') || args.includes('--port')) throw new Error('startServe chooses --host 127.0.0.1 --port 0 itself');
  const proc = spawnCli(['serve', ...args, '--host', '127.0.0.1', '--port', '0']);
  proc.stdin!.end();
  const events: Record<string, unknown>[] = [];
  let err = '';
  let buf = '';
  // 'close', not 'exit': the last lines (stopping, shutdown-abort, stopped) may still be
  // in the pipe when the process has exited.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`serve did not start within ${opts.timeoutMs ?? 30_000} ms\n${err}`));
    }, opts.timeoutMs ?? 30_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const ev = JSON.parse(line) as Record<string, unknown>;
          events.push(ev);
          if (ev.event === 'listening') {
            clearTimeout(timer);
            resolve(String(ev.url));
          }
        } catch {
          // not a JSON line: ignore
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (code ${code}, signal ${signal}) before listening\n${err}`));
    });
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
    proc.kill('SIGKILL');
    throw new Error(`serve bound to a non-loopback URL: ${url}`);
  }
  return {
    url,
    baseURL: `${url}/v1`,
    proc,
    events,
    stderr: () => err,
    exited,
    async stop(timeoutMs = 20_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
