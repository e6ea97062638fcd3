/**
 * zod schemas of every command's `--json` output (stdout, one JSON document). Exported
 * so that scripts and tests can validate what the CLI prints.
 */
export * from './schemas/commands.js';
export * from './schemas/investigate.js';
export * from './schemas/bench.js';
export * from './schemas/spec-engine.js';
