/**
 * @tracemark/bench: the seeded detection benchmark — tasks, metrics (TPR at exact FPR,
 * null-set FPR with intervals), attacks with text normalisation, result rendering.
 */
export { runBench } from './run.js';
export { benchConfig, BENCH_LIMITS, DEFAULT_FPRS, ENGINES, FULL, PRESETS, QUICK } from './config.js';
export type { BenchOptions, BenchPreset, ListRule, PresetName } from './config.js';
export { benchCommandLine, writeBenchOutputs } from './outputs.js';
export type { BenchCommandFlags } from './outputs.js';
export type { BenchConfig, BenchResults } from './types.js';
export { benchKeyOf, benchSpecOf, parseSchemeList } from './schemes.js';
export type { SchemeSetting, NativeSchemeSetting } from './schemes.js';
export { ENGINE_SCHEME_IDS, parseEngineScheme } from './engine-schemes.js';
export type { EngineSchemeSetting } from './engine-schemes.js';
export { AttackError, parseAttackList } from './attacks/index.js';
export type { AttackConfig } from './attacks/index.js';
export { chatUrl } from './attacks/llm.js';
export { allCharts } from './charts.js';
export { renderMarkdown } from './report.js';
