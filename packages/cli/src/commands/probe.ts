/**
 * `tracemark probe`: query a suspect model through any OpenAI-compatible endpoint and
 * record every answer in an append-only JSONL transcript (fsync per line). Crash-safe
 * and resumable: `--resume` neither repeats nor skips a prompt.
 *
 * The API key is read from the environment (TRACEMARK_PROBE_API_KEY, else
 * OPENAI_API_KEY) and only ever sent in the Authorization header. The run and its
 * optional sequential test are probeWithEvidence (@tracemark/investigate).
 */
import type { Command } from 'commander';
import { CliError, loadAnyKey, loadAnySpec, usage } from '@tracemark/detector';
import { builtinPrompts, endpointUrl, loadSpecFilter, probeWithEvidence, promptsFromFile, unionFilter } from '@tracemark/investigate';
import type { ProbePrompt, ProbeReport, UntilEvidenceOptions } from '@tracemark/investigate';
import { collect, intFlag, numFlag } from '../io/args.js';
import { eprintln, fmtLog10, printJson, println, progress, warn } from '../io/output.js';
import type { ProbeOutput } from '../schemas.js';

export interface ProbeFlags {
  baseUrl: string;
  model: string;
  endpoint: string;
  transcript: string;
  resume?: boolean;
  prompts?: string;
  field: string;
  builtin?: string;
  promptSeed: string;
  maxTokens: string;
  temperature: string;
  topP?: string;
  system?: string;
  logprobs?: string;
  concurrency: string;
  rps: string;
  retries: string;
  retryBaseMs: string;
  retryMaxMs: string;
  timeout: string;
  json?: boolean;
  /** --until-evidence: stop when the anytime-valid p-value reaches this level (needs --spec and --key). */
  untilEvidence?: string;
  spec?: string;
  key?: string;
  filter?: string[];
  maxQueries?: string;
  tokenBudget?: string;
}

export const EXIT_INTERRUPTED = 130;

export function probePromptsOf(f: Pick<ProbeFlags, 'prompts' | 'field' | 'builtin' | 'promptSeed'>): ProbePrompt[] {
  const prompts: ProbePrompt[] = [];
  if (f.prompts !== undefined) prompts.push(...promptsFromFile(f.prompts, f.field));
  if (f.builtin !== undefined) prompts.push(...builtinPrompts(intFlag('builtin', f.builtin, 1, 1_000_000), intFlag('prompt-seed', f.promptSeed, 0, 2 ** 31 - 1)));
  if (prompts.length === 0) throw usage('no prompts: pass --prompts <file> and/or --builtin <n>');
  return prompts;
}

/** --until-evidence and its companions → the sequential test's settings (or undefined without --until-evidence). */
export function untilEvidenceOf(f: ProbeFlags): UntilEvidenceOptions | undefined {
  if (f.untilEvidence === undefined) {
    for (const [flag, v] of [['spec', f.spec], ['key', f.key], ['filter', f.filter], ['max-queries', f.maxQueries], ['token-budget', f.tokenBudget]] as const) {
      if (v !== undefined) throw usage(`--${flag} is only used with --until-evidence`);
    }
    return undefined;
  }
  const alpha = numFlag('until-evidence', f.untilEvidence, (n) => n > 0 && n < 1, 'a significance level in (0, 1), e.g. 1e-6');
  if (f.spec === undefined || f.key === undefined) throw usage('--until-evidence needs --spec and --key (to score the answers as they arrive)');
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  const filter = f.filter?.length ? unionFilter(f.filter.map((p) => loadSpecFilter(p, spec))) : undefined;
  return {
    spec,
    key,
    alpha,
    ...(filter ? { filter } : {}),
    ...(f.maxQueries !== undefined ? { maxQueries: intFlag('max-queries', f.maxQueries, 1, 1e9) } : {}),
    ...(f.tokenBudget !== undefined ? { tokenBudget: intFlag('token-budget', f.tokenBudget, 1, 1e12) } : {}),
  };
}

export async function runProbeCommand(f: ProbeFlags, signal: AbortSignal): Promise<ProbeReport> {
  if (f.endpoint !== 'chat' && f.endpoint !== 'completions') throw usage(`--endpoint must be chat or completions (got ${JSON.stringify(f.endpoint)})`);
  const prompts = probePromptsOf(f);
  const opts = {
    baseUrl: f.baseUrl,
    model: f.model,
    endpoint: f.endpoint as 'chat' | 'completions',
    prompts,
    transcript: f.transcript,
    resume: f.resume === true,
    maxTokens: intFlag('max-tokens', f.maxTokens, 1, 1 << 20),
    temperature: numFlag('temperature', f.temperature, (n) => n >= 0 && n <= 2, 'a number in [0, 2]'),
    ...(f.topP !== undefined ? { topP: numFlag('top-p', f.topP, (n) => n > 0 && n <= 1, 'a number in (0, 1]') } : {}),
    ...(f.system !== undefined ? { system: f.system } : {}),
    ...(f.logprobs !== undefined ? { logprobs: intFlag('logprobs', f.logprobs, 0, 20) } : {}),
    concurrency: intFlag('concurrency', f.concurrency, 1, 256),
    rps: numFlag('rps', f.rps, (n) => n >= 0 && n <= 100_000, 'a number ≥ 0 (0 = unlimited)'),
    policy: {
      retries: intFlag('retries', f.retries, 0, 100),
      baseDelayMs: intFlag('retry-base-ms', f.retryBaseMs, 1, 600_000),
      maxDelayMs: intFlag('retry-max-ms', f.retryMaxMs, 1, 3_600_000),
      timeoutMs: intFlag('timeout', f.timeout, 100, 3_600_000),
    },
  };
  endpointUrl(opts.baseUrl, opts.endpoint); // validate before anything else happens
  const apiKey = process.env.TRACEMARK_PROBE_API_KEY || process.env.OPENAI_API_KEY || undefined;
  if (!apiKey) warn('no API key in TRACEMARK_PROBE_API_KEY or OPENAI_API_KEY: sending requests without authorization');
  const evidence = untilEvidenceOf(f);
  const bar = progress('probe');
  try {
    return await probeWithEvidence({ ...opts, apiKey, signal, onProgress: (d, t) => bar.update(d, t), warn }, evidence);
  } finally {
    bar.done();
  }
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('query a suspect model (OpenAI-compatible API) and record a resumable, fsync-per-line transcript')
    .requiredOption('--base-url <url>', 'API base URL, e.g. http://127.0.0.1:8787/v1 (…/chat/completions is appended)')
    .requiredOption('--model <name>', 'model name to request')
    .requiredOption('--transcript <file>', 'append-only JSONL transcript')
    .option('--resume', 'continue an existing transcript: ask only prompts not yet answered (a torn last line is repaired)')
    .option('--endpoint <kind>', 'chat (…/chat/completions) or completions (…/completions)', 'chat')
    .option('--prompts <file>', 'prompts: JSONL {"id"?, "prompt"} (.jsonl) or one per line')
    .option('--field <name>', 'JSONL field holding the prompt', 'prompt')
    .option('--builtin <n>', 'n prompts from the built-in prompt set (held-out human sentences)')
    .option('--prompt-seed <s>', 'seed of the built-in prompt set', '1')
    .option('--max-tokens <n>', 'max_tokens per request', '128')
    .option('--temperature <t>', 'sampling temperature', '1')
    .option('--top-p <p>', 'nucleus sampling mass')
    .option('--system <text>', 'chat: a system message sent with every prompt (its windows are excluded from scoring)')
    .option('--logprobs <k>', 'ask for the top-k logprobs (0-20) at every token and record them: radioactivity then runs the logprob test (chat: logprobs + top_logprobs k; completions: logprobs k)')
    .option('--concurrency <n>', 'requests in flight at once', '4')
    .option('--rps <r>', 'at most r request starts per second, retries included (0 = unlimited)', '0')
    .option('--retries <n>', 'retries per request on 429, 5xx, timeouts and network errors', '6')
    .option('--retry-base-ms <ms>', 'first backoff step (doubles each retry; full jitter)', '500')
    .option('--retry-max-ms <ms>', 'longest backoff step', '30000')
    .option('--timeout <ms>', 'per-request timeout', '120000')
    .option('--json', 'machine-readable output')
    .option('--until-evidence <alpha>', 'score answers as they arrive and stop once the anytime-valid p-value (e-process) reaches alpha')
    .option('--spec <file>', '--until-evidence: the watermark spec (tracemark\'s or an engine spec)')
    .option('--key <file>', '--until-evidence: the watermark key file (an engine key file for an engine spec)')
    .option('--filter <file>', '--until-evidence: score only windows in this ledger filter (repeatable = union)', collect)
    .option('--max-queries <n>', '--until-evidence: stop after n answers in the transcript whatever the evidence')
    .option('--token-budget <n>', '--until-evidence: stop after n response tokens whatever the evidence')
    .addHelpText(
      'after',
      `
API key: env TRACEMARK_PROBE_API_KEY (else OPENAI_API_KEY); never written anywhere.
Exit codes: 0 all prompts answered; 1 some prompts failed after retries, or the endpoint
is unreachable or refuses the requests (4xx); 130 interrupted (SIGINT/SIGTERM). In every
case the transcript holds exactly the answers received: rerun with --resume.`,
    )
    .action(async (f: ProbeFlags) => {
      const ac = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (++signals > 1) process.exit(EXIT_INTERRUPTED);
        eprintln(`\ntracemark: ${sig}: stopping; answers received so far are saved (rerun with --resume)`);
        ac.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let r: ProbeReport;
      try {
        r = await runProbeCommand(f, ac.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const out: ProbeOutput = { command: 'probe', ...r };
      if (f.json) printJson(out);
      else {
        println(`${r.transcript}: ${r.answered} answered now, ${r.alreadyDone} already there, ${r.remaining} remaining of ${r.prompts} prompts (${r.requests} requests, ${r.retries} retries)`);
        for (const x of r.failed) println(`  failed ${x.promptId}: ${x.reason}`);
        const q = r.sequential;
        if (q) {
          const why = q.stop === 'evidence' ? `evidence reached after ${q.crossedAtResponse} answers` : q.stop === null ? 'prompts ran out before the evidence' : `${q.stop} reached without the evidence`;
          println(`until-evidence α = ${q.alpha}: ${why}; ${q.scored} tuples scored; anytime-valid p = ${fmtLog10(q.log10P)} (e-value 10^${q.maxLog10E.toFixed(2)})`);
        }
      }
      if (r.interrupted) throw new CliError(`interrupted: ${r.remaining} prompt(s) left; rerun with --resume`, EXIT_INTERRUPTED);
      if (r.failed.length > 0) throw new CliError(`${r.failed.length} prompt(s) failed after retries; rerun with --resume to ask them again`, 1);
    });
}
