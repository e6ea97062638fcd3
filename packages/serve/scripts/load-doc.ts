/** docs/SERVE.md §7's load table from the runs' recorded summaries (docs/serve-load/*.json, written by load-serve.ts --json). */
export const LOAD_BEGIN = '<!-- load:begin (generated from docs/serve-load/*.json, see packages/serve/scripts/load-serve.ts) -->';
export const LOAD_END = '<!-- load:end -->';

export interface LoadSummary {
  endpoint: string;
  stream: boolean;
  maxTokens: number;
  connections: number;
  maxConcurrency: number;
  duration: number;
  requests: number;
  reqPerSec: number;
  tokensPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  rssMiB: { before: number; maxDuring: number; after: number };
  ledgerRows: number;
  acknowledgedIncludingWarmup: number;
  ledgerCoversAcknowledged: boolean;
  /** 1-minute load average at the start and the end of the run (the machine is shared). */
  loadAverage?: { start: number; end: number };
}

export const LOAD_HEADER = [
  '| endpoint | stream | max_tokens | connections | server concurrency | duration | requests | req/s | tokens/s | p50 ms | p90 ms | p99 ms | max ms | errors / timeouts / non-2xx | RSS before → max → after (MiB) | ledger rows ≥ acknowledged | load avg start → end |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

export function loadRow(s: LoadSummary): string {
  const load = s.loadAverage ? `${s.loadAverage.start.toFixed(1)} → ${s.loadAverage.end.toFixed(1)}` : '—';
  return (
    `| ${s.endpoint} | ${s.stream ? 'SSE' : 'no'} | ${s.maxTokens} | ${s.connections} | ${s.maxConcurrency} | ${s.duration.toFixed(1)} s | ${s.requests} | ${s.reqPerSec.toFixed(1)} | ${s.tokensPerSec.toFixed(0)} | ` +
    `${s.latencyMs.p50} | ${s.latencyMs.p90} | ${s.latencyMs.p99} | ${s.latencyMs.max} | ${s.errors} / ${s.timeouts} / ${s.non2xx} | ${s.rssMiB.before} → ${s.rssMiB.maxDuring} → ${s.rssMiB.after} | ` +
    `${s.ledgerCoversAcknowledged ? 'yes' : '**NO**'} (${s.ledgerRows} ≥ ${s.acknowledgedIncludingWarmup}) | ${load} |`
  );
}

export function renderLoadTable(runs: readonly LoadSummary[]): string {
  return [...LOAD_HEADER, ...runs.map(loadRow)].join('\n');
}
