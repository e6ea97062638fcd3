/**
 * @tracemark/serve: an OpenAI-compatible watermarking HTTP server that any Node program
 * can mount, and the provenance ledger (who received which text, and its windows).
 */
export * from './server/index.js';
export * from './ledger/index.js';
