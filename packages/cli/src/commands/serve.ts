/**
 * `tracemark serve`: the watermarking OpenAI-compatible server (docs/SERVE.md).
 * Its startup (serve-run.ts → startServer of @tracemark/serve) is loaded only when the
 * command runs, so `--help` and the other commands do not pay for the model and tokenizer.
 */
import type { Command } from 'commander';
import type { ServeFlags } from './serve-run.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a watermarking OpenAI-compatible HTTP server with a provenance ledger')
    .requiredOption('--spec <file>', "watermark spec (JSON): tracemark's own, or an engine spec (vLLM, SGLang, HF: that engine's watermark is emulated)")
    .requiredOption('--key <file>', 'watermark key file, or the engine key file of an engine spec (must match the spec fingerprint)')
    .option('--model <builtin|dir>', 'built-in reference model, or a local ONNX model directory', 'builtin')
    .option('--keys <file>', 'API keys → accounts (JSON); without it every request is "anonymous"')
    .option('--ledger <file>', 'provenance ledger (SQLite); created if missing')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port; the URL is printed)', '8787')
    .option('--max-concurrency <n>', 'generations running at once (default: 4 builtin, 1 ONNX)')
    .option('--max-queue <n>', 'requests waiting for a slot before 429', '64')
    .option('--max-body-bytes <n>', 'largest request body (413 above)', String(1 << 20))
    .option('--default-max-tokens <n>', 'max_tokens when a request gives none', '128')
    .option('--max-tokens-limit <n>', 'largest max_tokens a request may ask for', '2048')
    .option('--shutdown-timeout <ms>', 'on SIGTERM/SIGINT, wait this long for in-flight requests', '10000')
    .option('--verbose', 'log one JSON line per request')
    .action(async (flags: ServeFlags) => {
      const { runServe } = await import('./serve-run.js');
      await runServe(flags);
    });
}
