/**
 * Run the CLI two ways, with the same result shape:
 *  - runInProcess: runProgram (src/program.ts) in this process with its stdout/stderr
 *    captured. No process start (a cold `tsx` start costs seconds); used by every test
 *    that is about what a command does, not about the process around it.
 *  - runCli / spawnCli: the real binary from its TypeScript sources (no build needed),
 *      node --conditions=source --import tsx packages/cli/src/bin.ts …
 *    for what only a process shows: signals, kill -9, serve's lifecycle, stdin, and the
 *    bin shim itself (exit codes, stderr format, --help/--version end to end).
 * Every run is bounded in time; a process still running at its deadline is killed.
 * TRACEMARK_TEST_SPAWN=1 makes runInProcess spawn too (to compare, or to time the difference).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../src/program.js';
import type { Io, OutStream } from '../../src/io/output.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Run to completion (killed after `timeoutMs`); resolves with exit code and output. */
export function runCli(args: readonly string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawnCli(args, opts.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tracemark ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A captured stream: not a TTY, like the pipes a spawned process writes to. */
class Capture implements OutStream {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

let running = 0;
let envRunning = false;

/**
 * Environment variables for one in-process run. process.env is global, so a run that
 * sets some must not overlap another run: it fails loudly instead of leaking.
 */
async function withEnv<T>(env: NodeJS.ProcessEnv | undefined, fn: () => Promise<T>): Promise<T> {
  const keys = Object.keys(env ?? {});
  if (envRunning || (keys.length > 0 && running > 0)) {
    throw new Error('runInProcess: a run with `env` must not overlap another in-process run (process.env is shared)');
  }
  const saved = keys.map((k) => [k, process.env[k]] as const);
  for (const k of keys) process.env[k] = env![k];
  running++;
  envRunning = keys.length > 0;
  try {
    return await fn();
  } finally {
    running--;
    if (keys.length > 0) envRunning = false;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * `tracemark <args>` in this process: same exit code, stdout and stderr as the binary
 * (signal is always null). `timeoutMs` bounds the wait (a run cannot be killed: the
 * test fails instead). Stdin is not available: tests that pipe text use runCli.
 */
export async function runInProcess(args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  if (process.env.TRACEMARK_TEST_SPAWN === '1') return runCli(args, opts);
  const stdout = new Capture();
  const stderr = new Capture();
  const io: Io = { stdout, stderr };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`tracemark ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr.text}`)), timeoutMs);
  });
  try {
    const code = await Promise.race([withEnv(opts.env, () => runProgram(args, io)), deadline]);
    return { code, signal: null, stdout: stdout.text, stderr: stderr.text };
  } finally {
    clearTimeout(timer);
  }
}
