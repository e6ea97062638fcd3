export { openServeInputs } from './inputs.js';
export type { ServeInputFiles, ServeInputs } from './inputs.js';
export { startServer, stopOnSignals } from './start.js';
export type { StartServerOptions, RunningServer, SignalHooks } from './start.js';
