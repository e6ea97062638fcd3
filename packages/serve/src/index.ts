/**
 * @tracemark/serve: an OpenAI-compatible watermarking HTTP server that any Node program
 * can mount (createHandler), the provenance ledger behind it (the LedgerStore
 * interface, its SQLite and PostgreSQL implementations and their opener, group commit,
 * filters, lookup), and the startup of a serving process from files (startServer).
 */
export * from './server/index.js';
export * from './ledger/index.js';
export * from './start/index.js';
export * from './proxy/index.js';
