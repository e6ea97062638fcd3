/**
 * The two generation endpoints. A request becomes a Job (prompts as token ids,
 * sampling, stops, n); running a job generates each choice with the account's
 * watermark, writes one ledger row per choice, and only then sends the bytes that
 * complete the response (the JSON body, or a choice's finish chunk and `[DONE]`).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Embedder, seededRng, type Watermark } from '@tracemark/watermark';
import type { LedgerWriter } from '../ledger/writer.js';
import type { Account } from './apikeys.js';
import { chatPrompt } from './chat-template.js';
import { ApiError } from './errors.js';
import { sha256Hex } from '@tracemark/detector';
import { engineSamplerFor, engineWindows, type EngineMarking } from './engine.js';
import { generateChoice, type ChoiceMarking, type ChoiceResult } from './generate.js';
import { sendJson, SseWriter } from './http.js';
import { chatLogprobs, completionLogprobs, type TokenLogprob } from './logprobs.js';
import type { Sampling, ServedModel } from './model.js';
import type { ChatRequest, CompletionRequest } from './schemas.js';
import {
  chatResponse,
  chunk,
  completionResponse,
  responseId,
  usage,
  usageChunk,
  type DoneChoice,
  type Endpoint,
  type Head,
} from './shapes.js';

/** Temperatures below this are raised to it: the watermark needs a sampling step (T = 0 is argmax). */
export const MIN_TEMPERATURE = 0.05;

export interface GenerationContext {
  /** Exactly one of wm (tracemark's watermark) and engine (an engine's, emulated). */
  wm: Watermark | null;
  engine: EngineMarking | null;
  model: ServedModel;
  ledger: LedgerWriter | null;
  defaultMaxTokens: number;
  maxTokensLimit: number;
  /**
   * The watermark floor on temperature (0: off): a request below it is sampled at it.
   * The response header `x-tracemark-temperature` gives the temperature used, and a
   * ledger row whose request the floor raised records both in `params`.
   */
  minTemperature: number;
}

export interface Job {
  endpoint: Endpoint;
  account: Account;
  prompts: { text: string; tokens: Uint32Array }[];
  n: number;
  maxTokens: number;
  sampling: Sampling;
  /** The request's temperature (default 1), before MIN_TEMPERATURE and the floor. */
  requestedTemperature: number;
  stop: string[];
  /** Token ids that end a choice besides the model's eos (a chat template's end-of-turn tokens). */
  stopTokens: readonly number[];
  seed: number | null;
  stream: boolean;
  includeUsage: boolean;
  trimStart: boolean;
  /** Logprobs asked: how many alternatives per token (0 = the chosen token's only); null = not asked. */
  logprobs: number | null;
}

function checkModel(ctx: GenerationContext, model: string): void {
  if (model !== ctx.model.id) {
    throw new ApiError(404, `The model '${model}' does not exist; this server serves '${ctx.model.id}'`, 'invalid_request_error', 'model', 'model_not_found');
  }
}

function checkLogprobs(ctx: GenerationContext, asked: boolean): void {
  if (asked && (ctx.model.logits === undefined || ctx.model.tokenBytes === undefined)) {
    throw new ApiError(400, `logprobs are not available for the model '${ctx.model.id}'`, 'invalid_request_error', 'logprobs', 'invalid_value');
  }
}

function maxTokensOf(ctx: GenerationContext, requested: number | null | undefined, param: string): number {
  const m = requested ?? ctx.defaultMaxTokens;
  if (m > ctx.maxTokensLimit) {
    throw new ApiError(400, `${param} is ${m}, above this server's limit of ${ctx.maxTokensLimit}`, 'invalid_request_error', param, 'invalid_value');
  }
  return m;
}

function samplingOf(ctx: GenerationContext, r: { temperature?: number | null; top_p?: number | null }): Pick<Job, 'sampling' | 'requestedTemperature'> {
  const requested = r.temperature ?? 1;
  return { sampling: { temperature: Math.max(MIN_TEMPERATURE, ctx.minTemperature, requested), topP: r.top_p ?? 1 }, requestedTemperature: requested };
}

function stopsOf(stop: string | string[] | null | undefined): string[] {
  return stop === undefined || stop === null ? [] : typeof stop === 'string' ? [stop] : [...stop];
}

function encodePrompt(ctx: GenerationContext, text: string, maxTokens: number): { text: string; tokens: Uint32Array } {
  const tokens = ctx.model.encode(text);
  const limit = ctx.model.maxContext;
  if (limit !== undefined && tokens.length + maxTokens > limit) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${limit} tokens; the prompt has ${tokens.length} and max_tokens is ${maxTokens}`,
      'invalid_request_error',
      'max_tokens',
      'context_length_exceeded',
    );
  }
  return { text, tokens };
}

export function completionJob(ctx: GenerationContext, account: Account, r: CompletionRequest): Job {
  checkModel(ctx, r.model);
  const maxTokens = maxTokensOf(ctx, r.max_tokens, 'max_tokens');
  checkLogprobs(ctx, r.logprobs != null);
  const texts = typeof r.prompt === 'string' ? [r.prompt] : r.prompt;
  return {
    endpoint: 'completions',
    account,
    prompts: texts.map((t) => encodePrompt(ctx, t, maxTokens)),
    n: r.n ?? 1,
    maxTokens,
    ...samplingOf(ctx, r),
    stop: stopsOf(r.stop),
    stopTokens: [],
    seed: r.seed ?? null,
    stream: r.stream === true,
    includeUsage: r.stream_options?.include_usage === true,
    trimStart: false,
    logprobs: r.logprobs ?? null,
  };
}

export function chatJob(ctx: GenerationContext, account: Account, r: ChatRequest): Job {
  checkModel(ctx, r.model);
  if (r.max_tokens != null && r.max_completion_tokens != null && r.max_tokens !== r.max_completion_tokens) {
    throw new ApiError(400, 'max_tokens and max_completion_tokens disagree: give one', 'invalid_request_error', 'max_completion_tokens', 'invalid_value');
  }
  if (r.top_logprobs != null && r.logprobs !== true) {
    throw new ApiError(400, "Invalid 'top_logprobs': logprobs must be set to true when top_logprobs is used", 'invalid_request_error', 'top_logprobs', 'invalid_value');
  }
  checkLogprobs(ctx, r.logprobs === true);
  const param = r.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = maxTokensOf(ctx, r.max_completion_tokens ?? r.max_tokens, param);
  const chat = chatPrompt(ctx.model, r.messages);
  return {
    endpoint: 'chat.completions',
    account,
    prompts: [encodePrompt(ctx, chat.text, maxTokens)],
    n: r.n ?? 1,
    maxTokens,
    ...samplingOf(ctx, r),
    stop: [...stopsOf(r.stop), ...chat.stops],
    stopTokens: chat.stopTokens,
    seed: r.seed ?? null,
    stream: r.stream === true,
    includeUsage: r.stream_options?.include_usage === true,
    trimStart: chat.trimStart,
    logprobs: r.logprobs === true ? (r.top_logprobs ?? 0) : null,
  };
}

/** The account's embedder: with a payload in the spec, its accountId is the message. */
function embedderFor(wm: Watermark, account: Account): Embedder {
  if (wm.spec.payload === null) return new Embedder(wm);
  return new Embedder(wm, { message: BigInt(account.accountId ?? 0) });
}

/**
 * The sampling seed of one choice. With a request seed, the first choice uses it as
 * is (so it reproduces lm's generateText with the same seed, token for token) and
 * the others derive from it; without one, a fresh random seed.
 */
function rngSeed(seed: number | null, prompt: number, choice: number): number | string {
  if (seed === null) return randomBytes(16).toString('hex');
  return prompt === 0 && choice === 0 ? seed : `${seed}:${prompt}:${choice}`;
}

export class Aborted extends Error {
  override name = 'Aborted';
}

export async function runJob(ctx: GenerationContext, job: Job, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const head: Head = { id: responseId(job.endpoint), created: Math.floor(Date.now() / 1000), model: ctx.model.id };
  const embedder = ctx.wm ? embedderFor(ctx.wm, job.account) : null;
  const promptTokens = job.prompts.reduce((s, p) => s + p.tokens.length, 0);
  const sse = job.stream ? new SseWriter(res) : null;
  const temperatureHeader = { 'x-tracemark-temperature': String(job.sampling.temperature) };
  sse?.start({ 'x-request-id': head.id, ...temperatureHeader });
  const done: DoneChoice[] = [];
  const pending: Promise<void>[] = [];
  let completionTokens = 0;

  for (let pi = 0; pi < job.prompts.length; pi++) {
    const prompt = job.prompts[pi]!;
    for (let j = 0; j < job.n; j++) {
      const index = pi * job.n + j;
      const rng = seededRng(rngSeed(job.seed, pi, j));
      const lp = job.logprobs !== null ? { top: job.logprobs, sink: [] as TokenLogprob[] } : undefined;
      let lpSent = 0, lpOffset = 0;
      // the entries drawn since the last chunk, in the endpoint's shape (undefined when not asked)
      const lpChunk = (): unknown => {
        if (!lp) return undefined;
        const fresh = lp.sink.slice(lpSent);
        lpSent = lp.sink.length;
        if (job.endpoint === 'chat.completions') return chatLogprobs(fresh);
        const c = completionLogprobs(fresh, lpOffset);
        for (const e of fresh) lpOffset += e.token.length;
        return c;
      };
      // An engine's sampler is per response: fresh state, the prompt as the engine sees it.
      const marking: ChoiceMarking =
        ctx.wm && embedder ? { wm: ctx.wm, embedder } : { engine: engineSamplerFor(ctx.engine!, prompt.tokens), engineWindows: (g) => engineWindows(ctx.engine!, prompt.tokens, g) };
      const gen = generateChoice({
        ...marking,
        model: ctx.model,
        prompt: prompt.tokens,
        maxTokens: job.maxTokens,
        sampling: job.sampling,
        stop: job.stop,
        stopTokens: job.stopTokens,
        rng,
        signal,
        trimStart: job.trimStart,
        ...(lp ? { logprobs: lp } : {}),
      });
      if (sse && job.endpoint === 'chat.completions') sse.data(chunk(job.endpoint, head, index, '', null, { role: true, includeUsage: job.includeUsage }));
      let result: ChoiceResult;
      for (;;) {
        const step = await gen.next();
        if (step.done) {
          result = step.value;
          break;
        }
        sse?.data(chunk(job.endpoint, head, index, step.value, null, { includeUsage: job.includeUsage, logprobs: lpChunk() }));
      }
      completionTokens += result.completionTokens;
      const record = ledgerRecord(ctx, job, head, index, prompt, result);
      if (result.finishReason === 'aborted') {
        // Streamed text already left the server: its windows belong in the ledger.
        if (sse && result.text.length > 0 && ctx.ledger) await ctx.ledger.append(record).catch(() => {});
        throw new Aborted('generation aborted');
      }
      if (sse) {
        // The row is durable before the choice's final chunk (and [DONE]) is sent.
        if (ctx.ledger) await ctx.ledger.append(record);
        // entries of tokens whose text never became a delta (held back, then cut by a stop) close the choice
        const rest = lp && lp.sink.length > lpSent ? lpChunk() : undefined;
        sse.data(chunk(job.endpoint, head, index, '', result.finishReason, { includeUsage: job.includeUsage, logprobs: rest }));
      } else {
        if (ctx.ledger) pending.push(ctx.ledger.append(record));
        done.push({ index, text: result.text, finishReason: result.finishReason, ...(lp ? { logprobs: lpChunk() } : {}) });
      }
    }
  }
  const u = usage(promptTokens, completionTokens);
  if (sse) {
    if (job.includeUsage) sse.data(usageChunk(job.endpoint, head, u));
    sse.done();
    return;
  }
  await Promise.all(pending);
  sendJson(res, 200, job.endpoint === 'completions' ? completionResponse(head, done, u) : chatResponse(head, done, u), {
    'x-request-id': head.id,
    ...temperatureHeader,
  });
}

function ledgerRecord(
  ctx: GenerationContext,
  job: Job,
  head: Head,
  index: number,
  prompt: { text: string; tokens: Uint32Array },
  r: ChoiceResult,
) {
  return {
    responseId: head.id,
    choice: index,
    account: job.account.account,
    accountId: job.account.accountId,
    created: new Date(),
    modelId: ctx.model.id,
    endpoint: job.endpoint,
    finishReason: r.finishReason,
    textSha256: sha256Hex(r.text),
    promptSha256: sha256Hex(prompt.text),
    promptTokens: prompt.tokens.length,
    completionTokens: r.completionTokens,
    windows: r.windows,
    // Only where the floor (--min-temperature) raised the request's temperature: what was asked, what was used.
    ...(ctx.minTemperature > 0 && job.sampling.temperature > job.requestedTemperature
      ? { params: JSON.stringify({ temperature: job.requestedTemperature, sampled_temperature: job.sampling.temperature }) }
      : {}),
  };
}
