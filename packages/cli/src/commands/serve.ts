/**
 * `tracemark serve`: the watermarking OpenAI-compatible server (docs/SERVE.md), or with
 * `--upstream` a reverse proxy with the ledger in front of another engine (startProxy).
 * Its startup (serve-run.ts → startServer of @tracemark/serve) is loaded only when the
 * command runs, so `--help` and the other commands do not pay for the model and tokenizer.
 */
import type { Command } from 'commander';
import { CliError, EXIT_FAILURE } from '@tracemark/detector';
import { eprintln, println, warn } from '../io/output.js';
import type { ServeFlags } from './serve-run.js';

interface ProxyFlags extends ServeFlags {
  upstream?: string;
  upstreamKeyEnv?: string;
  upstreamTimeout: string;
  optOut: string;
  rateLimit?: string;
  rateBurst?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a watermarking OpenAI-compatible HTTP server with a provenance ledger')
    .requiredOption('--spec <file>', "watermark spec (JSON): tracemark's own, or an engine spec (vLLM, SGLang, HF: that engine's watermark is emulated)")
    .requiredOption('--key <file>', 'watermark key file, or the engine key file of an engine spec (must match the spec fingerprint)')
    .option('--model <builtin|dir|file>', 'built-in reference model, a local ONNX model directory, or a Kneser–Ney model file (.tmkn, e.g. a distilled student)', 'builtin')
    .option('--keys <file>', 'API keys → accounts (JSON); without it every request is "anonymous"')
    .option('--ledger <file|url>', 'provenance ledger: a SQLite file (created if missing) or a postgres:// URL (several replicas)')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port; the URL is printed)', '8787')
    .option('--max-concurrency <n>', 'generations running at once (default: 4 builtin, 1 ONNX)')
    .option('--max-queue <n>', 'requests waiting for a slot before 429', '64')
    .option('--max-body-bytes <n>', 'largest request body (413 above)', String(1 << 20))
    .option('--default-max-tokens <n>', 'max_tokens when a request gives none', '128')
    .option('--max-tokens-limit <n>', 'largest max_tokens a request may ask for', '2048')
    .option('--shutdown-timeout <ms>', 'on SIGTERM/SIGINT, wait this long for in-flight requests', '10000')
    .option('--min-temperature <t>', 'watermark floor: requests with a lower temperature (e.g. 0) are sampled at t, which the x-tracemark-temperature header and the ledger row record; 0 = off (docs/SERVE.md "Low temperature")', '0')
    .option('--verbose', 'log one JSON line per request')
    .option('--upstream <url>', "proxy mode: forward to this engine's OpenAI base URL (e.g. http://10.0.0.5:8000/v1) and record what it returns; no model is loaded, the spec names the engine watermark the upstream writes")
    .option('--upstream-key-env <VAR>', 'proxy mode: the environment variable holding the API key sent to the upstream (its value is never printed)')
    .option('--upstream-timeout <ms>', 'proxy mode: idle timeout for the upstream (headers, then between body chunks)', '60000')
    .option('--opt-out <refuse|strip>', 'proxy mode: a request with "watermarking" other than true is refused (400), or the field is stripped', 'refuse')
    .option('--rate-limit <per-second>', 'proxy mode: requests per second per account (token bucket; 429 above)')
    .option('--rate-burst <n>', 'proxy mode: token bucket size (default: the rate, at least 1)')
    .action(async (flags: ProxyFlags, cmd: Command) => {
      if (flags.upstream !== undefined) return runProxy(flags, cmd);
      for (const o of ['upstreamKeyEnv', 'rateLimit', 'rateBurst'] as const) {
        if (flags[o] !== undefined) throw new CliError(`--${kebab(o)} needs --upstream`);
      }
      for (const o of ['upstreamTimeout', 'optOut'] as const) {
        if (cmd.getOptionValueSource(o) === 'cli') throw new CliError(`--${kebab(o)} needs --upstream`);
      }
      const { runServe } = await import('./serve-run.js');
      await runServe(flags);
    });
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function num(name: string, v: string, min: number, max: number, integer = true): number {
  const n = Number(v);
  if (!(integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(v.trim()) || !Number.isFinite(n) || n < min || n > max) {
    throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** `serve --upstream`: the proxy (startProxy of @tracemark/serve); SIGTERM/SIGINT stop it gracefully. */
async function runProxy(f: ProxyFlags, cmd: Command): Promise<void> {
  for (const o of ['model', 'maxConcurrency', 'maxQueue', 'defaultMaxTokens', 'maxTokensLimit', 'minTemperature'] as const) {
    if (cmd.getOptionValueSource(o) === 'cli') throw new CliError(`--${kebab(o)} does not apply with --upstream (the upstream generates)`);
  }
  if (f.optOut !== 'refuse' && f.optOut !== 'strip') throw new CliError(`--opt-out must be refuse or strip (got ${JSON.stringify(f.optOut)})`);
  const rate = f.rateLimit === undefined ? null : num('rate-limit', f.rateLimit, 0.001, 1e6, false);
  if (rate === null && f.rateBurst !== undefined) throw new CliError('--rate-burst needs --rate-limit');
  const burst = f.rateBurst === undefined ? Math.max(1, Math.ceil(rate ?? 1)) : num('rate-burst', f.rateBurst, 1, 1e6);
  const out = (event: Record<string, unknown>): void => println(JSON.stringify(event));
  const { startProxy } = await import('@tracemark/serve');
  const running = await startProxy({
    spec: f.spec,
    key: f.key,
    ...(f.keys !== undefined ? { keys: f.keys } : {}),
    ...(f.ledger !== undefined ? { ledger: f.ledger } : {}),
    warn,
    upstream: f.upstream!,
    ...(f.upstreamKeyEnv !== undefined ? { upstreamKeyEnv: f.upstreamKeyEnv } : {}),
    upstreamTimeoutMs: num('upstream-timeout', f.upstreamTimeout, 1, 3_600_000),
    optOut: f.optOut,
    rateLimit: rate === null ? null : { perSecond: rate, burst },
    host: f.host,
    port: num('port', f.port, 0, 65535),
    maxBodyBytes: num('max-body-bytes', f.maxBodyBytes, 64, 1 << 30),
    shutdownTimeoutMs: num('shutdown-timeout', f.shutdownTimeout, 0, 3_600_000),
    log: out,
    verbose: f.verbose === true,
  });
  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) {
      warn(`second ${signal}: exiting without waiting`);
      process.exit(EXIT_FAILURE);
    }
    const done = running.server.shutdown();
    out({ event: 'stopping', signal, ...running.server.stats });
    done.then(
      () => {
        out({ event: 'stopped', ledgerRows: running.server.handler.ledger?.committed ?? 0 });
        process.exit(0);
      },
      (e: Error) => {
        eprintln(`tracemark: shutdown failed: ${e.message}`);
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  out(running.listening);
}
