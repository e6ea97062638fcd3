/**
 * A proxy process from files (`tracemark serve --upstream`): the engine spec and its key
 * (the watermark the upstream is expected to write; the ledger is bound to it), API
 * keys, the ledger, the upstream URL and the name of the environment variable holding
 * the upstream's key (its value is read here and never printed). Errors are CliErrors
 * with serve's exit codes (2: bad input).
 */
import { CliError, createTokenizer, EXIT_FAILURE } from '@tracemark/detector';
import { ledgerLabel, openServeInputs, type ServeInputFiles, type ServeInputs } from '../start/inputs.js';
import type { OptOutPolicy } from './request.js';
import { ProxyServer } from './server.js';
import { Upstream } from './upstream.js';

export interface StartProxyOptions extends ServeInputFiles {
  upstream: string;
  /** Name of the environment variable with the upstream's API key (none: no key sent). */
  upstreamKeyEnv?: string;
  upstreamTimeoutMs: number;
  optOut: OptOutPolicy;
  rateLimit: { perSecond: number; burst: number } | null;
  host: string;
  port: number;
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  log: (event: Record<string, unknown>) => void;
  verbose?: boolean;
  /** Where the key variable is read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningProxy {
  server: ProxyServer;
  url: string;
  inputs: ServeInputs;
  listening: Record<string, unknown>;
}

export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  let upstreamKey: string | null = null;
  if (o.upstreamKeyEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.upstreamKeyEnv)) throw new CliError(`--upstream-key-env must be an environment variable name (got ${JSON.stringify(o.upstreamKeyEnv)})`);
    upstreamKey = (o.env ?? process.env)[o.upstreamKeyEnv] ?? '';
    if (upstreamKey === '') throw new CliError(`--upstream-key-env: the environment variable ${o.upstreamKeyEnv} is not set or empty`);
  }
  let upstream: Upstream;
  try {
    upstream = new Upstream({ baseUrl: o.upstream, apiKey: upstreamKey, timeoutMs: o.upstreamTimeoutMs });
  } catch (e) {
    throw new CliError(`--upstream: ${(e as Error).message}`);
  }
  const inputs = await openServeInputs(o);
  const close = (): void => void inputs.ledger?.close();
  if (inputs.engine === null) {
    close();
    throw new CliError(`${o.spec}: --upstream needs an engine spec (version 2: the engine watermark the upstream writes); tracemark's own specs are served without --upstream`);
  }
  let count: (text: string) => number;
  try {
    const tok = createTokenizer(inputs.engine.spec.tokenizer);
    count = (text) => (text.length === 0 ? 0 : tok.encode(text).tokens.length);
  } catch (e) {
    close();
    throw new CliError(`${o.spec}: cannot load the spec's tokenizer ${inputs.engine.spec.tokenizer}: ${(e as Error).message}`);
  }
  const server = new ProxyServer({
    upstream,
    countTokens: count,
    apiKeys: inputs.apiKeys,
    ledger: inputs.ledger,
    optOut: o.optOut,
    rateLimit: o.rateLimit,
    host: o.host,
    port: o.port,
    maxBodyBytes: o.maxBodyBytes,
    shutdownTimeoutMs: o.shutdownTimeoutMs,
    log: o.log,
    verbose: o.verbose === true,
  });
  let url: string;
  try {
    url = await server.listen();
  } catch (e) {
    await server.handler.close();
    throw new CliError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`, EXIT_FAILURE);
  }
  const listening = {
    event: 'listening',
    url,
    mode: 'proxy',
    upstream: upstream.baseUrl,
    upstreamKey: upstreamKey !== null,
    specId: inputs.specId,
    keyFingerprint: inputs.key.fingerprint,
    scheme: inputs.engine.spec.engine.scheme,
    accounts: inputs.apiKeys?.accounts.length ?? 0,
    ledger: ledgerLabel(o),
    optOut: o.optOut,
    rateLimit: o.rateLimit,
  };
  return { server, url, inputs, listening };
}
