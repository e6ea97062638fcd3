/**
 * One watermarked completion (one choice), as an async generator of text deltas
 * whose return value is what the ledger needs: the final text, token count,
 * finish reason and the window hashes of every position that had context.
 *
 * Why not lm's generation loop: the server needs per-step control that a generic
 * loop does not give — the window seed of each step (for the ledger), stop
 * sequences that hold back text across tokens while streaming, abort on client
 * disconnect, and yielding to the event loop so one long generation does not starve
 * the others, the health check or a 429.
 */
import { StopMatcher } from '@tracemark/lm';
import { type Embedder, type Rng, type Seed, type Watermark } from '@tracemark/watermark';
import { pairToBigInt } from '../ledger/u64.js';
import type { EngineSampler } from './engine.js';
import { NextLogprobs, tokenLogprob, type TokenLogprob } from './logprobs.js';
import type { Sampling, ServedModel } from './model.js';

/**
 * How a choice is watermarked: tracemark's own (window seeds go to the ledger), or an
 * engine's sampler (`engineWindows` reads the generated tokens: the windows for the ledger).
 */
export type ChoiceMarking =
  | { wm: Watermark; embedder: Embedder; engine?: undefined; engineWindows?: undefined }
  | { engine: EngineSampler; engineWindows?: (generated: Uint32Array) => bigint[]; wm?: undefined; embedder?: undefined };

export type ChoiceRequest = ChoiceMarking & {
  model: ServedModel;
  prompt: Uint32Array;
  maxTokens: number;
  sampling: Sampling;
  stop: readonly string[];
  /** Token ids that end the choice like the model's eos (a chat template's end-of-turn tokens). */
  stopTokens?: readonly number[];
  rng: Rng;
  signal: AbortSignal;
  /** Drop leading whitespace of the completion (chat: the model writes " Hi" after "Assistant:"). */
  trimStart?: boolean;
  /** Give the event loop a turn after this much uninterrupted compute (ms). */
  sliceMs?: number;
  /**
   * Logprobs asked: each emitted token's entry (with its `top` most likely alternatives) is
   * pushed to `sink` as soon as the token is drawn — before its text is yielded — so a
   * streaming caller can send the entries with the delta they belong to.
   */
  logprobs?: { top: number; sink: TokenLogprob[] };
};

export interface ChoiceResult {
  text: string;
  completionTokens: number;
  finishReason: 'stop' | 'length' | 'aborted';
  /** Window hashes (u64) of every generation step that had ≥ h tokens of context (an engine's: the context digests of its keyed positions). */
  windows: bigint[];
}

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function* generateChoice(req: ChoiceRequest): AsyncGenerator<string, ChoiceResult, void> {
  const { model, prompt, maxTokens, sampling, rng, signal } = req;
  if (req.engine !== undefined && model.engineStep === undefined) throw new Error(`the model ${model.id} cannot serve an engine's watermark`);
  if (req.logprobs !== undefined && (model.logits === undefined || model.tokenBytes === undefined)) throw new Error(`the model ${model.id} cannot return logprobs`);
  const ctx = new Uint32Array(prompt.length + maxTokens);
  ctx.set(prompt);
  let len = prompt.length;
  const decoder = model.decoder();
  const stop = new StopMatcher(req.stop);
  const windows: bigint[] = [];
  const seed: Seed = { hi: 0, lo: 0 };
  const sliceMs = req.sliceMs ?? 2;
  let text = '';
  let trimming = req.trimStart === true;
  let produced = 0;
  let finish: ChoiceResult['finishReason'] = 'length';
  let sliceStart = performance.now();

  const emit = (s: string): string => {
    if (trimming) {
      s = s.replace(/^\s+/, '');
      if (s.length > 0) trimming = false;
    }
    text += s;
    return s;
  };

  while (produced < maxTokens) {
    if (signal.aborted) {
      finish = 'aborted';
      break;
    }
    let r: { token: number };
    // q at this step (logprobs.ts: the tempered, truncated model distribution, never the watermarked one)
    const lp = req.logprobs !== undefined ? new NextLogprobs(await model.logits!(ctx, len), sampling.temperature, sampling.topP) : null;
    if (req.engine !== undefined) {
      r = await model.engineStep!(req.engine, ctx, len, sampling, rng);
    } else {
      r = await model.step(req.embedder, ctx, len, sampling, rng);
      // The window this step was seeded with: what a detector scoring this position sees.
      // Recorded whatever was drawn (end-of-text included), so that whether a window is
      // in the ledger never depends on the watermark's choice at that window.
      if (req.wm.windowSeed(ctx, len, seed)) windows.push(pairToBigInt(seed.hi, seed.lo));
    }
    if ((model.eos !== undefined && r.token === model.eos) || req.stopTokens?.includes(r.token) === true) {
      finish = 'stop';
      break;
    }
    ctx[len++] = r.token;
    produced++;
    if (lp !== null) req.logprobs!.sink.push(tokenLogprob((id) => model.tokenBytes!(id), lp, r.token, req.logprobs!.top));
    const out = emit(stop.push(decoder.push(r.token)));
    if (out.length > 0) yield out;
    if (stop.stopped) {
      finish = 'stop';
      break;
    }
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldTurn();
      sliceStart = performance.now();
    }
  }
  if (!stop.stopped && finish !== 'aborted') {
    const tail = emit(stop.push(decoder.flush()));
    const rest = stop.stopped ? '' : emit(stop.flush());
    if (stop.stopped) finish = 'stop';
    if (tail.length + rest.length > 0) yield tail + rest;
  }
  if (req.engineWindows !== undefined) windows.push(...req.engineWindows(ctx.subarray(prompt.length, len)));
  return { text, completionTokens: produced, finishReason: finish, windows };
}
