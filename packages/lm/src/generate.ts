/**
 * The generation loop: model distribution → (watermark) → draw, one token at a
 * time, with incremental UTF-8-safe decoding and stop strings.
 *
 *   for await (const e of generate({ model, watermark, prompt, maxTokens: 200, seed: 1 })) …
 *   const r = await generateText({ …same options… });
 *
 * Unwatermarked generation is the same call without `watermark`. Everything is
 * deterministic in `seed`.
 */
import { seededRng, type Embedder, type Rng, type SamplingOptions, type StepResult } from '@tracemark/watermark';
import { drawSparse } from './draw.js';
import { StopMatcher } from './stop.js';
import { encode, StreamDecoder, tokenizerInfo } from './tokenizer.js';
import { resolveSampling, type LanguageModel } from './types.js';

/** What the loop needs from a watermark embedder (the Embedder of @tracemark/watermark). */
export type StepEmbedder = Pick<Embedder, 'step' | 'wm'>;

/** Turns tokens back into text incrementally (default: the model's tiktoken encoding). */
export interface TokenDecoder {
  push(token: number): string;
  flush(): string;
}

export interface GenerateOptions extends SamplingOptions {
  model: LanguageModel;
  /** The embedder for this response; omit for unwatermarked text. */
  watermark?: StepEmbedder | undefined;
  /** Text (encoded with the model's tokenizer) or token ids. */
  prompt: string | ArrayLike<number>;
  /** Most tokens to generate (≥ 0). */
  maxTokens: number;
  /** Generation ends before the first occurrence of any of these strings (not included in the text). */
  stop?: readonly string[];
  /** Seed of the sampling randomness (not of the watermark: that is the key). */
  seed: number | string;
  /** Width h of the prompt windows to report when there is no watermark (default 1). */
  contextWidth?: number;
  /** For models whose tokenizer is not a tiktoken encoding: how to encode a string prompt. */
  encode?: (text: string) => ArrayLike<number>;
  /** For models whose tokenizer is not a tiktoken encoding: how to decode tokens. */
  decoder?: TokenDecoder;
}

export interface GenerateEvent {
  token: number;
  /** Text this token made final (may be '' while a character or a possible stop string is incomplete). */
  text: string;
  watermarked: boolean;
  /** The token came from the distribution's unlisted rest. */
  fromRest: boolean;
}

export type StopReason = 'maxTokens' | 'stop' | 'eos' | 'context';

export interface GenerateSummary {
  /** The generated text (prompt excluded), cut before a stop string. */
  text: string;
  /** Generated token ids (the eos token is not included; a stop string's tokens are). */
  tokens: number[];
  promptTokens: number[];
  /**
   * The distinct h-token windows inside the prompt: the generator was given them,
   * so detection must not score positions whose window is one of them
   * (h = the watermark's context width, else `contextWidth`).
   */
  windowsFromPrompt: number[][];
  watermarkedSteps: number;
  fromRestSteps: number;
  stoppedBy: StopReason;
  /** Largest per-step bound on the sparse step differing from the dense one (see StepResult.bound). */
  maxBound: number;
}

interface Prepared {
  model: LanguageModel;
  watermark: StepEmbedder | undefined;
  sampling: SamplingOptions;
  promptTokens: number[];
  maxTokens: number;
  stops: string[];
  rng: Rng;
  decoder: TokenDecoder;
  width: number;
}

function prepare(opts: GenerateOptions): Prepared {
  if (!opts || typeof opts !== 'object') throw new Error('generate: options object required');
  const { model, watermark } = opts;
  if (!model || typeof model.distribution !== 'function') throw new Error('generate: `model` must be a LanguageModel');
  const sampling = resolveSampling(opts);
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 0) {
    throw new Error(`generate: maxTokens must be a non-negative integer (got ${opts.maxTokens})`);
  }
  if (!(Number.isInteger(opts.seed) || typeof opts.seed === 'string')) {
    throw new Error(`generate: seed must be an integer or a string (got ${String(opts.seed)})`);
  }
  const stops = opts.stop ?? [];
  if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new Error('generate: stop must be an array of non-empty strings');
  }
  if (watermark && watermark.wm.spec.tokenizer !== model.tokenizer) {
    throw new Error(
      `generate: the watermark spec's tokenizer ${watermark.wm.spec.tokenizer} differs from the model's ${model.tokenizer}`,
    );
  }
  const tiktokenName = model.tokenizer.startsWith('hf:') ? undefined : model.tokenizer;
  let promptTokens: number[];
  if (typeof opts.prompt === 'string') {
    if (opts.encode) promptTokens = Array.from(opts.encode(opts.prompt));
    else if (tiktokenName) promptTokens = Array.from(encode(tiktokenName, opts.prompt));
    else throw new Error(`generate: tokenizer ${model.tokenizer} is not tiktoken: pass prompt token ids or an encode function`);
  } else if (opts.prompt && typeof opts.prompt.length === 'number') {
    promptTokens = Array.from(opts.prompt);
  } else {
    throw new Error('generate: prompt must be a string or an array of token ids');
  }
  promptTokens.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= model.vocabSize) {
      throw new Error(`generate: prompt token ${i} is ${t}, not a token id of the model (0..${model.vocabSize - 1})`);
    }
  });
  if (model.maxContext !== undefined && promptTokens.length > model.maxContext) {
    throw new Error(`generate: the prompt is ${promptTokens.length} tokens, longer than the model's context of ${model.maxContext} tokens`);
  }
  let decoder = opts.decoder;
  if (!decoder) {
    if (!tiktokenName) throw new Error(`generate: tokenizer ${model.tokenizer} is not tiktoken: pass a decoder`);
    tokenizerInfo(tiktokenName);
    decoder = new StreamDecoder(tiktokenName);
  }
  const width = watermark ? watermark.wm.contextWidth : (opts.contextWidth ?? 1);
  if (!Number.isInteger(width) || width < 0 || width > 8) throw new Error(`generate: contextWidth must be 0..8 (got ${width})`);
  return {
    model,
    watermark,
    sampling,
    promptTokens,
    maxTokens: opts.maxTokens,
    stops: [...stops],
    rng: seededRng(opts.seed),
    decoder,
    width,
  };
}

/**
 * The loop itself, synchronous (the built-in models compute synchronously):
 * yields one event per generated token and returns the summary.
 */
export function* generateSync(opts: GenerateOptions): Generator<GenerateEvent, GenerateSummary, void> {
  const p = prepare(opts);
  const { model, watermark, sampling, rng, decoder } = p;
  // The context grows as needed (maxTokens is a limit, often far above what is generated).
  let context = new Int32Array(p.promptTokens.length + Math.min(p.maxTokens, 1024));
  context.set(p.promptTokens);
  let len = p.promptTokens.length;
  const stop = new StopMatcher(p.stops);
  const tokens: number[] = [];
  let text = '';
  let watermarkedSteps = 0, fromRestSteps = 0, maxBound = 0;
  let stoppedBy: StopReason = 'maxTokens';
  for (let step = 0; step < p.maxTokens; step++) {
    if (model.maxContext !== undefined && len >= model.maxContext) {
      stoppedBy = 'context';
      break;
    }
    const dist = model.distribution(context, len, sampling);
    const r: StepResult = watermark ? watermark.step(context, len, dist, rng) : drawSparse(dist, rng);
    if (!Number.isInteger(r.token) || r.token < 0 || r.token >= model.vocabSize) {
      throw new Error(`generate: the model produced token ${r.token}, outside its vocabulary`);
    }
    if (r.token === model.eos) {
      stoppedBy = 'eos';
      break;
    }
    if (len === context.length) {
      const bigger = new Int32Array(Math.min(2 * context.length, p.promptTokens.length + p.maxTokens));
      bigger.set(context);
      context = bigger;
    }
    context[len++] = r.token;
    tokens.push(r.token);
    if (r.watermarked) watermarkedSteps++;
    if (r.fromRest) fromRestSteps++;
    if (r.bound > maxBound) maxBound = r.bound;
    const piece = stop.push(decoder.push(r.token));
    text += piece;
    yield { token: r.token, text: piece, watermarked: r.watermarked, fromRest: r.fromRest };
    if (stop.stopped) {
      stoppedBy = 'stop';
      break;
    }
  }
  if (!stop.stopped) text += stop.push(decoder.flush()) + stop.flush();
  return {
    text,
    tokens,
    promptTokens: p.promptTokens,
    windowsFromPrompt: promptWindows(p.promptTokens, p.width),
    watermarkedSteps,
    fromRestSteps,
    stoppedBy,
    maxBound,
  };
}

/** Async iterator of generation events (the summary is the iterator's return value). */
export async function* generate(opts: GenerateOptions): AsyncGenerator<GenerateEvent, GenerateSummary, void> {
  const it = generateSync(opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    yield r.value;
  }
}

/** Run generation to the end and return the text and its bookkeeping. */
export function generateTextSync(opts: GenerateOptions): GenerateSummary {
  const it = generateSync(opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

export async function generateText(opts: GenerateOptions): Promise<GenerateSummary> {
  return generateTextSync(opts);
}

/** Distinct windows of h consecutive tokens inside the prompt. */
export function promptWindows(prompt: readonly number[], h: number): number[][] {
  if (h <= 0) return [];
  const seen = new Set<string>();
  const out: number[][] = [];
  for (let i = 0; i + h <= prompt.length; i++) {
    const w = prompt.slice(i, i + h);
    const k = w.join(',');
    if (!seen.has(k)) {
      seen.add(k);
      out.push(w);
    }
  }
  return out;
}
