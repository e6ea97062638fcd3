/**
 * Probing a suspect model: ask every prompt once through an OpenAI-compatible endpoint
 * and append each answer to the transcript (fsync per line).
 *
 * Resume reads the transcript, truncates a torn last line, and asks only the prompts
 * whose ids are not in it: nothing is asked twice, nothing is skipped. A prompt whose
 * request is in flight when the process dies was never written, so it is asked again.
 */
import { statSync } from 'node:fs';
import { usage, failure, sha256Hex } from '@tracemark/detector';
import {
  AbortedError,
  PermanentError,
  postWithRetry,
  RateLimiter,
  RetriesExhausted,
  UnreachableError,
  type Endpoint,
  type RetryPolicy,
} from './client.js';
import { choiceLogprobs, logprobsFields } from './logprobs.js';
import { parseTranscript, readTranscriptBytes, TranscriptWriter, type TranscriptLine } from './transcript.js';

export interface ProbePrompt {
  id: string;
  prompt: string;
}

export interface ProbeOptions {
  baseUrl: string;
  model: string;
  endpoint: Endpoint;
  prompts: ProbePrompt[];
  transcript: string;
  resume: boolean;
  maxTokens: number;
  temperature: number;
  topP?: number;
  system?: string;
  /** Ask for the top-k logprobs at every generated token (chat: logprobs + top_logprobs k; completions: logprobs k). */
  logprobs?: number;
  concurrency: number;
  rps: number;
  policy: RetryPolicy;
  apiKey: string | undefined;
  signal: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  onRetry?: (promptId: string, attempt: number, reason: string, delayMs: number) => void;
  warn?: (msg: string) => void;
  /**
   * Sees every answered line in transcript order — first the lines already in the
   * transcript (resume), then each new line right after it is written. Returning true
   * stops the probe: nothing more is asked (in-flight requests are abandoned unwritten).
   * `probe --until-evidence` uses it for its anytime-valid sequential test.
   */
  onAnswer?: (line: TranscriptLine) => boolean;
}

export interface ProbeSummary {
  transcript: string;
  url: string;
  model: string;
  endpoint: Endpoint;
  prompts: number;
  alreadyDone: number;
  answered: number;
  failed: { promptId: string; reason: string }[];
  remaining: number;
  interrupted: boolean;
  tornLineRepaired: boolean;
  requests: number;
  retries: number;
}

export function endpointUrl(baseUrl: string, endpoint: Endpoint): string {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw usage(`--base-url must be an http(s) URL such as http://127.0.0.1:8787/v1 (got ${JSON.stringify(baseUrl)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`--base-url must be http or https (got ${u.protocol})`);
  if (u.username || u.password) throw usage('--base-url must not contain credentials: put the API key in TRACEMARK_PROBE_API_KEY');
  return `${baseUrl.replace(/\/+$/, '')}${endpoint === 'chat' ? '/chat/completions' : '/completions'}`;
}

type BodySettings = Pick<ProbeOptions, 'model' | 'endpoint' | 'maxTokens' | 'temperature' | 'topP' | 'system' | 'logprobs'>;

export function requestBody(o: BodySettings, prompt: string): Record<string, unknown> {
  const common: Record<string, unknown> = { model: o.model, max_tokens: o.maxTokens, temperature: o.temperature };
  if (o.topP !== undefined) common.top_p = o.topP;
  if (o.logprobs !== undefined) Object.assign(common, logprobsFields(o.endpoint, o.logprobs));
  if (o.endpoint === 'chat') {
    const messages = [...(o.system !== undefined ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: prompt }];
    return { model: o.model, messages, ...common };
  }
  return { model: o.model, prompt, ...common };
}

/** The flag that sets each request field (for messages naming what differs). */
const SETTING_FLAGS: Record<string, string> = { max_tokens: '--max-tokens', temperature: '--temperature', top_p: '--top-p', logprobs: '--logprobs', top_logprobs: '--logprobs' };

function describeSetting(field: string, v: unknown): string {
  const flag = SETTING_FLAGS[field];
  if (flag) return v === undefined ? `no ${flag}` : `${flag} ${JSON.stringify(v)}`;
  return v === undefined ? `no request field ${JSON.stringify(field)}` : `request field ${JSON.stringify(field)} = ${JSON.stringify(v)}`;
}

function systemOf(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const m = messages.find((x) => (x as { role?: unknown })?.role === 'system') as { content?: unknown } | undefined;
  return m === undefined ? undefined : typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
}

/**
 * Resume: the generation settings a transcript line was requested with (the request body
 * it records) against the ones given now — model and endpoint are checked before this.
 * Any difference (max tokens, temperature, top-p, the system message, or any other field
 * of the body) means the answers would come from another sampling distribution: the
 * transcript would no longer record one experiment, so resume refuses. Returns the first
 * difference in words, or null. The URL is not a generation setting (checked separately).
 */
export function resumeSettingMismatch(
  line: Pick<TranscriptLine, 'prompt' | 'request'>,
  o: BodySettings,
): { field: string; recorded: string; now: string } | null {
  const want = requestBody(o, line.prompt);
  const got = line.request;
  const fields = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter((f) => f !== 'model' && f !== 'prompt');
  for (const f of fields) {
    if (JSON.stringify(got[f]) === JSON.stringify(want[f])) continue;
    if (f === 'messages') {
      const a = systemOf(got[f]);
      const b = systemOf(want[f]);
      if (a !== b) {
        const say = (v: string | undefined): string => (v === undefined ? 'no --system' : `--system ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`);
        return { field: 'system', recorded: say(a), now: say(b) };
      }
      return { field: f, recorded: 'other chat messages', now: 'the prompt alone' };
    }
    return { field: f, recorded: describeSetting(f, got[f]), now: describeSetting(f, want[f]) };
  }
  return null;
}

interface Parsed {
  text: string;
  finishReason: string | null;
  model: string | null;
  usage: TranscriptLine['usage'];
  logprobs: TranscriptLine['logprobs'] | null;
}

function parseAnswer(endpoint: Endpoint, body: string): Parsed | string {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return 'the response is not JSON';
  }
  const o = j as { choices?: unknown; model?: unknown; usage?: unknown };
  if (!Array.isArray(o.choices) || o.choices.length === 0) return 'the response has no choices';
  const c = o.choices[0] as { text?: unknown; message?: { content?: unknown }; finish_reason?: unknown };
  const text = endpoint === 'chat' ? c.message?.content : c.text;
  if (typeof text !== 'string') return `the response has no ${endpoint === 'chat' ? 'choices[0].message.content' : 'choices[0].text'} string`;
  const u = o.usage;
  return {
    text,
    finishReason: typeof c.finish_reason === 'string' ? c.finish_reason : null,
    model: typeof o.model === 'string' ? o.model : null,
    usage: u !== null && typeof u === 'object' && !Array.isArray(u) ? (u as TranscriptLine['usage']) : null,
    logprobs: choiceLogprobs(endpoint, c),
  };
}

export async function runProbe(o: ProbeOptions): Promise<ProbeSummary> {
  const url = endpointUrl(o.baseUrl, o.endpoint);
  const ids = new Set<string>();
  for (const p of o.prompts) {
    if (ids.has(p.id)) throw usage(`prompt id ${JSON.stringify(p.id)} appears twice in the prompt set`);
    ids.add(p.id);
  }
  let size = 0;
  try {
    size = statSync(o.transcript).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw usage(`cannot read transcript ${o.transcript}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const done = new Set<string>();
  let truncateTo: number | undefined;
  let torn = false;
  if (size > 0) {
    if (!o.resume) throw usage(`transcript ${o.transcript} already exists: pass --resume to continue it (or choose a new file)`);
    const parsed = parseTranscript(readTranscriptBytes(o.transcript), o.transcript, true);
    const byId = new Map(o.prompts.map((p) => [p.id, p.prompt]));
    let foreign = 0;
    let otherUrl: { line: number; url: string } | undefined;
    parsed.lines.forEach((l, i) => {
      if (l.model !== o.model || l.endpoint !== o.endpoint) {
        throw usage(`${o.transcript}:${i + 1}: made with model ${JSON.stringify(l.model)} (${l.endpoint}); refusing to mix it with ${JSON.stringify(o.model)} (${o.endpoint})`);
      }
      const differs = resumeSettingMismatch(l, o);
      if (differs) throw usage(`${o.transcript}:${i + 1}: made with ${differs.recorded}; refusing to mix it with ${differs.now} (resume with the transcript's settings, or choose a new file)`);
      if (l.url !== url) otherUrl ??= { line: i + 1, url: l.url };
      if (done.has(l.promptId)) throw usage(`${o.transcript}:${i + 1}: prompt id ${JSON.stringify(l.promptId)} appears twice in the transcript`);
      const want = byId.get(l.promptId);
      if (want === undefined) foreign++;
      else if (want !== l.prompt) throw usage(`${o.transcript}:${i + 1}: prompt ${JSON.stringify(l.promptId)} differs from the prompt set's: not the same prompts`);
      done.add(l.promptId);
    });
    if (otherUrl) o.warn?.(`${o.transcript}:${otherUrl.line}: answered at ${otherUrl.url}; continuing at ${url} (same model name and generation settings: the endpoint moved)`);
    if (foreign > 0) o.warn?.(`${foreign} transcript line(s) answer prompts that are not in this prompt set`);
    if (parsed.torn) {
      torn = true;
      truncateTo = parsed.goodBytes;
      o.warn?.(`${o.transcript}: a torn last line (an interrupted write) was removed; its prompt will be asked again`);
    }
  }
  const alreadyDone = o.prompts.filter((p) => done.has(p.id)).length;
  const todo = o.prompts.filter((p) => !done.has(p.id));
  const writer = new TranscriptWriter(o.transcript, truncateTo);
  const limiter = new RateLimiter(o.rps);
  const summary: ProbeSummary = {
    transcript: o.transcript,
    url,
    model: o.model,
    endpoint: o.endpoint,
    prompts: o.prompts.length,
    alreadyDone,
    answered: 0,
    failed: [],
    remaining: 0,
    interrupted: false,
    tornLineRepaired: torn,
    requests: 0,
    retries: 0,
  };
  let reached = alreadyDone > 0;
  let fatal: Error | null = null;
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  o.signal.addEventListener('abort', onOuterAbort, { once: true });
  let next = 0;
  if (o.onAnswer && size > 0) {
    const parsed = parseTranscript(readTranscriptBytes(o.transcript), o.transcript, true);
    for (const l of parsed.lines) {
      if (o.onAnswer(l)) {
        stop.abort();
        break;
      }
    }
  }
  o.onProgress?.(alreadyDone, o.prompts.length);

  const worker = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const p = todo[next++];
      if (p === undefined) return;
      const body = requestBody(o, p.prompt);
      const bodyText = JSON.stringify(body);
      const startedAt = new Date().toISOString();
      try {
        const res = await postWithRetry({
          url,
          body: bodyText,
          apiKey: o.apiKey,
          policy: o.policy,
          limiter,
          signal: stop.signal,
          everReached: () => reached,
          onRetry: (attempt, reason, delay) => {
            summary.retries++;
            summary.requests++;
            o.onRetry?.(p.id, attempt, reason, delay);
          },
        });
        summary.requests++;
        reached = true;
        const a = parseAnswer(o.endpoint, res.body);
        if (typeof a === 'string') {
          summary.failed.push({ promptId: p.id, reason: a });
          continue;
        }
        // A complete answer is kept even if an interrupt arrived meanwhile.
        const line: TranscriptLine = {
          type: 'tracemark-probe',
          version: 1,
          promptId: p.id,
          prompt: p.prompt,
          endpoint: o.endpoint,
          url,
          model: o.model,
          request: body,
          requestSha256: sha256Hex(bodyText),
          status: res.status,
          responseBody: res.body,
          responseSha256: sha256Hex(res.body),
          response: a.text,
          finishReason: a.finishReason,
          responseModel: a.model,
          usage: a.usage,
          startedAt,
          finishedAt: new Date().toISOString(),
          attempts: res.attempts,
          ...(o.logprobs !== undefined && a.logprobs ? { logprobs: a.logprobs } : {}),
        };
        writer.append(line);
        summary.answered++;
        o.onProgress?.(alreadyDone + summary.answered, o.prompts.length);
        if (o.onAnswer?.(line) === true) stop.abort();
      } catch (e) {
        if (e instanceof AbortedError) return;
        if (e instanceof RetriesExhausted) {
          summary.failed.push({ promptId: p.id, reason: e.message });
          continue;
        }
        if (e instanceof PermanentError || e instanceof UnreachableError) {
          fatal ??= e;
          stop.abort();
          return;
        }
        fatal ??= e as Error;
        stop.abort();
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, todo.length)) }, worker));
  } finally {
    writer.close();
    o.signal.removeEventListener('abort', onOuterAbort);
  }
  summary.interrupted = o.signal.aborted;
  summary.remaining = o.prompts.length - alreadyDone - summary.answered;
  if (fatal) {
    const f = fatal as Error;
    const msg = f instanceof PermanentError || f instanceof UnreachableError ? f.message : `probe failed: ${f.message}`;
    throw failure(`${msg} (${summary.answered} answered and saved; rerun with --resume to continue)`);
  }
  return summary;
}
