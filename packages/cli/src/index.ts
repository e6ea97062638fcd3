/**
 * @tracemark/cli: the `tracemark` command. The libraries it adapts are @tracemark/serve,
 * @tracemark/evidence, @tracemark/bench and @tracemark/investigate; this package exports
 * the program (for in-process use), the JSON output schemas and the demo.
 */
export * from './schemas.js';
export { runDemo, verdictTable, DEMO_SIZES } from './demo/run.js';
export type { DemoOptions, DemoSummary, DemoSizes, DemoSuspect } from './demo/run.js';
export { buildProgram, runProgram } from './program.js';
export type { Io, OutStream } from './io/output.js';
