/**
 * A serving process from files: open the inputs, load the model, listen, and (on
 * request) shut down gracefully on SIGTERM/SIGINT. `tracemark serve` is this plus
 * flag parsing and printing.
 */
import { CliError, EXIT_FAILURE, loadAnySpec } from '@tracemark/detector';
import { isEngineSpec } from '@tracemark/watermark';
import type { LedgerWriter } from '../ledger/writer.js';
import { checkServedModelSpec, loadServedModel, type ServedModel } from '../server/model.js';
import { TracemarkServer } from '../server/server.js';
import type { HandlerStats } from '../server/handler.js';
import { ledgerLabel, openServeInputs, type ServeInputFiles, type ServeInputs } from './inputs.js';

export interface StartServerOptions extends ServeInputFiles {
  /** 'builtin' (the reference model) or a local ONNX model directory. */
  model: string;
  host: string;
  port: number;
  /** Default: the model's preferred concurrency (4 builtin, 1 ONNX). */
  maxConcurrency?: number;
  maxQueue: number;
  maxBodyBytes: number;
  defaultMaxTokens: number;
  maxTokensLimit: number;
  shutdownTimeoutMs: number;
  /** Watermark floor on temperature: requests below it are sampled at it (default 0: off; docs/SERVE.md "Low temperature"). */
  minTemperature?: number;
  /** Structured log lines (request logs with `verbose`, shutdown events). */
  log: (event: Record<string, unknown>) => void;
  verbose?: boolean;
}

export interface RunningServer {
  server: TracemarkServer;
  url: string;
  inputs: ServeInputs;
  model: ServedModel;
  writer: LedgerWriter | null;
  /** The `listening` event `tracemark serve` prints: what is served, and where. */
  listening: Record<string, unknown>;
}

export async function startServer(o: StartServerOptions): Promise<RunningServer> {
  // A spec that cannot drive the model (e.g. another tokenizer) is refused before the ledger is created.
  checkServedModelSpec(o.model, loadAnySpec(o.spec));
  const inputs = await openServeInputs(o);
  let model: ServedModel;
  try {
    model = await loadServedModel(o.model, inputs.spec);
  } catch (e) {
    await inputs.ledger?.close();
    throw e;
  }
  const maxConcurrency = o.maxConcurrency ?? model.preferredConcurrency;
  const server = new TracemarkServer({
    ...(inputs.wm ? { wm: inputs.wm } : { engine: inputs.engine! }),
    model,
    apiKeys: inputs.apiKeys,
    ledger: inputs.ledger,
    host: o.host,
    port: o.port,
    maxConcurrency,
    maxQueue: o.maxQueue,
    maxBodyBytes: o.maxBodyBytes,
    defaultMaxTokens: o.defaultMaxTokens,
    maxTokensLimit: o.maxTokensLimit,
    shutdownTimeoutMs: o.shutdownTimeoutMs,
    ...(o.minTemperature !== undefined ? { minTemperature: o.minTemperature } : {}),
    log: o.log,
    verbose: o.verbose === true,
  });
  let url: string;
  try {
    url = await server.listen();
  } catch (e) {
    await server.ledger?.close();
    await model.dispose().catch(() => {});
    throw new CliError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`, EXIT_FAILURE);
  }
  const listening = {
    event: 'listening',
    url,
    model: model.id,
    specId: inputs.specId,
    keyFingerprint: inputs.key.fingerprint,
    scheme: isEngineSpec(inputs.spec) ? inputs.spec.engine.scheme : inputs.spec.scheme.name,
    payload: !isEngineSpec(inputs.spec) && inputs.spec.payload !== null,
    accounts: inputs.apiKeys?.accounts.length ?? 0,
    ledger: ledgerLabel(o),
    maxConcurrency,
    maxQueue: o.maxQueue,
    ...((o.minTemperature ?? 0) > 0 ? { minTemperature: o.minTemperature } : {}),
  };
  return { server, url, inputs, model, writer: server.ledger, listening };
}

export interface SignalHooks {
  /** Shutdown has begun (the server no longer accepts connections). */
  stopping: (signal: string, stats: HandlerStats) => void;
  /** Shutdown finished: the ledger is committed and closed. */
  stopped: (ledgerRows: number) => void;
  failed: (e: Error) => void;
  /** A second signal arrived while shutting down. */
  again: (signal: string) => void;
}

/** SIGTERM/SIGINT → graceful shutdown (once; the hooks decide whether to exit). */
export function stopOnSignals(running: RunningServer, hooks: SignalHooks): void {
  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) {
      hooks.again(signal);
      return;
    }
    const done = running.server.shutdown(); // stops accepting at once
    hooks.stopping(signal, running.server.stats);
    done.then(
      () => hooks.stopped(running.writer?.committed ?? 0),
      (e: Error) => hooks.failed(e),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
