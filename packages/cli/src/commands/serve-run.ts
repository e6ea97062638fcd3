/**
 * Startup of `tracemark serve` (docs/SERVE.md): read and check every input, open the
 * ledger, load the model, listen, and wire SIGTERM/SIGINT to a graceful shutdown.
 *
 * stdout carries JSON lines: {"event":"listening","url":…} once the socket is bound
 * (port 0 picks a free port), request logs with --verbose, and {"event":"stopped"}
 * after a graceful shutdown. Warnings and errors go to stderr. No key material is
 * ever printed: only the key's public fingerprint.
 */
import { canonicalSpecJson, Watermark } from '@tracemark/watermark';
import { Ledger, LedgerError } from '@tracemark/serve';
import { LedgerWriter } from '@tracemark/serve';
import { ApiKeys } from '@tracemark/serve';
import { CliError, EXIT_FAILURE } from '@tracemark/detector';
import { readTextFile, warnIfShared } from '@tracemark/detector';
import { loadKey, loadSpec, specId } from '@tracemark/detector';
import { loadServedModel } from '@tracemark/serve';
import { TracemarkServer } from '@tracemark/serve';

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
  verbose?: boolean;
}

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return n;
}

const out = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};
const warn = (msg: string): void => {
  process.stderr.write(`tracemark: warning: ${msg}\n`);
};

export async function runServe(f: ServeFlags): Promise<void> {
  const port = int('port', f.port, 0, 65535);
  const maxQueue = int('max-queue', f.maxQueue, 0, 100_000);
  const maxBodyBytes = int('max-body-bytes', f.maxBodyBytes, 64, 1 << 30);
  const maxTokensLimit = int('max-tokens-limit', f.maxTokensLimit, 1, 1 << 20);
  const defaultMaxTokens = int('default-max-tokens', f.defaultMaxTokens, 1, maxTokensLimit);
  const shutdownTimeoutMs = int('shutdown-timeout', f.shutdownTimeout, 0, 3_600_000);
  const maxConcurrency = f.maxConcurrency === undefined ? undefined : int('max-concurrency', f.maxConcurrency, 1, 1024);

  const spec = loadSpec(f.spec);
  const key = loadKey(f.key, spec);
  const wm = new Watermark(spec, key);
  const id = specId(spec);
  let apiKeys: ApiKeys | null = null;
  if (f.keys !== undefined) {
    apiKeys = ApiKeys.parse(readTextFile(f.keys, 'API keys file'), f.keys, spec.payload ? spec.payload.bits : null);
    warnIfShared(f.keys, 'API keys file');
  } else {
    warn('no --keys file: every request is accepted as account "anonymous"');
  }

  let ledger: Ledger | null = null;
  if (f.ledger !== undefined) {
    try {
      ledger = Ledger.openForWriting(f.ledger, { specId: id, keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
    } catch (e) {
      throw new CliError((e as Error).message, e instanceof LedgerError ? 2 : EXIT_FAILURE);
    }
  } else {
    warn('no --ledger: responses are watermarked but not recorded (no provenance, no filters)');
  }

  let model;
  try {
    model = await loadServedModel(f.model, spec);
  } catch (e) {
    ledger?.close();
    throw e;
  }
  const writer = ledger ? new LedgerWriter(ledger) : null;
  const server = new TracemarkServer({
    wm,
    model,
    apiKeys,
    ledger: writer,
    host: f.host,
    port,
    maxConcurrency: maxConcurrency ?? model.preferredConcurrency,
    maxQueue,
    maxBodyBytes,
    defaultMaxTokens,
    maxTokensLimit,
    shutdownTimeoutMs,
    log: out,
    verbose: f.verbose === true,
  });
  let url: string;
  try {
    url = await server.listen();
  } catch (e) {
    writer?.close();
    await model.dispose().catch(() => {});
    throw new CliError(`cannot listen on ${f.host}:${port}: ${(e as Error).message}`, EXIT_FAILURE);
  }

  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) {
      warn(`second ${signal}: exiting without waiting`);
      process.exit(EXIT_FAILURE);
    }
    const done = server.shutdown(); // stops accepting at once
    out({ event: 'stopping', signal, ...server.stats });
    done.then(
      () => {
        out({ event: 'stopped', ledgerRows: writer?.committed ?? 0 });
        process.exit(0);
      },
      (e: Error) => {
        process.stderr.write(`tracemark: shutdown failed: ${e.message}\n`);
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  out({
    event: 'listening',
    url,
    model: model.id,
    specId: id,
    keyFingerprint: key.fingerprint,
    scheme: spec.scheme.name,
    payload: spec.payload !== null,
    accounts: apiKeys?.accounts.length ?? 0,
    ledger: f.ledger ?? null,
    maxConcurrency: maxConcurrency ?? model.preferredConcurrency,
    maxQueue,
  });
}

