/**
 * `tracemark serve` (docs/SERVE.md): check the flags, then startServer (@tracemark/serve:
 * read and check every input, open the ledger, load the model, listen) and wire
 * SIGTERM/SIGINT to its graceful shutdown.
 *
 * stdout carries JSON lines: {"event":"listening","url":…} once the socket is bound
 * (port 0 picks a free port), request logs with --verbose, and {"event":"stopped"}
 * after a graceful shutdown. Warnings and errors go to stderr. No key material is
 * ever printed: only the key's public fingerprint.
 */
import { CliError, EXIT_FAILURE } from '@tracemark/detector';
import { startServer, stopOnSignals } from '@tracemark/serve';
import { eprintln, println, warn } from '../io/output.js';

export interface ServeFlags {
  spec: string;
  key: string;
  model: string;
  keys?: string;
  ledger?: string;
  host: string;
  port: string;
  maxConcurrency?: string;
  maxQueue: string;
  maxBodyBytes: string;
  defaultMaxTokens: string;
  maxTokensLimit: string;
  shutdownTimeout: string;
  minTemperature: string;
  verbose?: boolean;
}

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return n;
}

const out = (event: Record<string, unknown>): void => println(JSON.stringify(event));

export async function runServe(f: ServeFlags): Promise<void> {
  const port = int('port', f.port, 0, 65535);
  const maxQueue = int('max-queue', f.maxQueue, 0, 100_000);
  const maxBodyBytes = int('max-body-bytes', f.maxBodyBytes, 64, 1 << 30);
  const maxTokensLimit = int('max-tokens-limit', f.maxTokensLimit, 1, 1 << 20);
  const defaultMaxTokens = int('default-max-tokens', f.defaultMaxTokens, 1, maxTokensLimit);
  const shutdownTimeoutMs = int('shutdown-timeout', f.shutdownTimeout, 0, 3_600_000);
  const minTemperature = Number(f.minTemperature);
  if (!/^\d+(\.\d+)?$/.test(f.minTemperature.trim()) || !(minTemperature <= 2)) {
    throw new CliError(`--min-temperature must be a number in [0, 2] (got ${JSON.stringify(f.minTemperature)}; 0: off)`);
  }
  const maxConcurrency = f.maxConcurrency === undefined ? undefined : int('max-concurrency', f.maxConcurrency, 1, 1024);

  const running = await startServer({
    spec: f.spec,
    key: f.key,
    ...(f.keys !== undefined ? { keys: f.keys } : {}),
    ...(f.ledger !== undefined ? { ledger: f.ledger } : {}),
    warn,
    model: f.model,
    host: f.host,
    port,
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    maxQueue,
    maxBodyBytes,
    defaultMaxTokens,
    maxTokensLimit,
    shutdownTimeoutMs,
    minTemperature,
    log: out,
    verbose: f.verbose === true,
  });
  stopOnSignals(running, {
    again: (signal) => {
      warn(`second ${signal}: exiting without waiting`);
      process.exit(EXIT_FAILURE);
    },
    stopping: (signal, stats) => out({ event: 'stopping', signal, ...stats }),
    stopped: (ledgerRows) => {
      out({ event: 'stopped', ledgerRows });
      process.exit(0);
    },
    failed: (e) => {
      eprintln(`tracemark: shutdown failed: ${e.message}`);
      process.exit(EXIT_FAILURE);
    },
  });
  out(running.listening);
}
