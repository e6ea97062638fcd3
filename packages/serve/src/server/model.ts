/**
 * The served model behind one interface: tokenizer, incremental detokenizer, and one
 * watermarked sampling step. Two backends:
 *   builtin  the lm package's Kneser–Ney reference model over the spec's tiktoken
 *            encoding (synchronous, microseconds per step);
 *   <file>   a Kneser–Ney model file of lm (`.tmkn`, e.g. a distilled student: how an
 *            investigator stands up a simulated suspect), the same way;
 *   <dir>    a local ONNX causal LM (lm's loadOnnxLanguageModel) with its own
 *            tokenizer; the spec's tokenizer must be that model's "hf:<name>". Its
 *            forward pass runs in the model process and is awaited, so the event
 *            loop stays free while the model computes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeKnFile, encode, KneserNeyModel, loadChatTemplate, specTokenizerMismatch, loadReferenceModel, loadOnnxLanguageModel, StreamDecoder, tiktoken, type LanguageModel, type ModelChatTemplate } from '@tracemark/lm';
import { TIKTOKEN_ENCODINGS, type AnySpec, type Embedder, type Rng, type StepResult } from '@tracemark/watermark';
import { CliError, EXIT_FAILURE } from '@tracemark/detector';
import { engineStepSparse, truncatedLogits, type EngineSampler, type EngineStep } from './engine.js';

export interface Sampling {
  temperature: number;
  topP: number;
}

export interface TextDecoderStream {
  /** Text completed by this token ('' while a multi-byte character is incomplete). */
  push(token: number): string;
  /** Whatever is still held back at the end. */
  flush(): string;
}

export interface ServedModel {
  id: string;
  /** 'builtin' or 'onnx'. */
  kind: 'builtin' | 'onnx';
  /** Spec tokenizer id the token ids belong to. */
  tokenizer: string;
  eos: number | undefined;
  maxContext: number | undefined;
  /** One sequence at a time is much faster (the ONNX model keeps one KV cache). */
  preferredConcurrency: number;
  encode(text: string): Uint32Array;
  decoder(): TextDecoderStream;
  /** One watermarked step: next token after ctx[0 … len). */
  step(embedder: Embedder, ctx: Uint32Array, len: number, s: Sampling, rng: Rng): StepResult | Promise<StepResult>;
  /**
   * One step of an engine's watermark (engine.ts): the engine sampler draws from this
   * step's tempered, truncated candidates. Absent: the model cannot serve engine specs.
   */
  engineStep?(sampler: EngineSampler, ctx: Uint32Array, len: number, s: Sampling, rng: Rng): EngineStep | Promise<EngineStep>;
  /** Dense logits (or natural-log probabilities) after ctx[0 … len), at temperature 1: what `logprobs` are computed from. Absent: no logprobs. */
  logits?(ctx: Uint32Array, len: number): Float32Array | Promise<Float32Array>;
  /** A token's bytes (UTF-8, possibly part of a character): the `bytes` of a logprob entry (with `logits`). */
  tokenBytes?(id: number): Uint8Array;
  /** The model directory's own chat template (ONNX models that have one); absent: the plain template. */
  chatTemplate?: ModelChatTemplate;
  dispose(): Promise<void>;
}

/**
 * Whether `spec` can drive the model `which` names, checked from files alone (no model
 * loaded): `serve` calls it before it creates a ledger, so a refusal leaves nothing behind.
 */
export function checkServedModelSpec(which: string, spec: AnySpec): void {
  if (which === 'builtin' || isKnFile(which)) {
    if (!(TIKTOKEN_ENCODINGS as readonly string[]).includes(spec.tokenizer)) {
      throw new CliError(
        `--model ${which === 'builtin' ? 'builtin' : '<Kneser–Ney model file>'} needs a spec with a tiktoken tokenizer (${TIKTOKEN_ENCODINGS.join(', ')}); this spec uses ${spec.tokenizer}: pass --model <the model directory the spec was made for>, or create a spec with --tokenizer o200k_base`,
      );
    }
    return;
  }
  if (!existsSync(which) || !statSync(which).isDirectory()) {
    throw new CliError(`--model must be "builtin" or a model directory (or a Kneser–Ney model file); not found: ${which}`);
  }
  const mismatch = specTokenizerMismatch(spec.tokenizer, which);
  if (mismatch !== null) throw new CliError(mismatch);
}

function builtin(spec: AnySpec): ServedModel {
  checkServedModelSpec('builtin', spec);
  let model: LanguageModel;
  try {
    model = loadReferenceModel({ encoding: spec.tokenizer }).model;
  } catch (e) {
    throw new CliError(`cannot load the built-in reference model: ${(e as Error).message}`, EXIT_FAILURE);
  }
  return tiktokenModel(model, 'builtin');
}

/**
 * A Kneser–Ney model file of @tracemark/lm (`.tmkn`, e.g. a distilled student) served like
 * the built-in model: over its tiktoken encoding, which must be the spec's.
 */
function knFile(file: string, spec: AnySpec): ServedModel {
  let model: KneserNeyModel;
  try {
    model = new KneserNeyModel(decodeKnFile(readFileSync(file)).data);
  } catch (e) {
    throw new CliError(`--model ${file}: ${firstLine((e as Error).message)}`);
  }
  if (model.tokenizer !== spec.tokenizer) throw new CliError(`the model file's tokenizer is ${model.tokenizer} but the spec's is ${spec.tokenizer}: they must be the same`);
  return tiktokenModel(model, 'builtin');
}

/** A LanguageModel over a tiktoken encoding (the reference model, a KN file): synchronous steps. */
export function tiktokenModel(model: LanguageModel, kind: ServedModel['kind']): ServedModel {
  const enc = model.tokenizer;
  const tk = tiktoken(enc);
  const logits = model.logits?.bind(model);
  if (logits === undefined) throw new CliError(`the model ${model.id} has no dense logits`);
  return {
    id: model.id,
    kind,
    tokenizer: enc,
    eos: model.eos,
    maxContext: model.maxContext,
    preferredConcurrency: 4,
    encode: (text) => encode(enc, text),
    decoder: () => new StreamDecoder(enc),
    step: (embedder, ctx, len, s, rng) => embedder.step(ctx, len, model.distribution(ctx, len, { temperature: s.temperature, topP: s.topP }), rng),
    engineStep: (sampler, ctx, len, s, rng) => engineStepSparse(sampler, model.distribution(ctx, len, { temperature: s.temperature, topP: s.topP }), rng),
    logits: (ctx, len) => logits(ctx, len),
    tokenBytes: (id) => tk.decode_single_token_bytes(id),
    dispose: async () => {},
  };
}

/**
 * Incremental detokenizer for a tokenizer that only decodes whole sequences: decode
 * the generated tokens so far and emit what was added, holding text back while it
 * ends in U+FFFD (an incomplete character) or does not extend what was emitted.
 */
class PrefixDecoder implements TextDecoderStream {
  readonly #tokens: number[] = [];
  #emitted = '';
  constructor(readonly decodeAll: (t: readonly number[]) => string) {}
  push(token: number): string {
    this.#tokens.push(token);
    const text = this.decodeAll(this.#tokens);
    if (text.endsWith('\uFFFD') || !text.startsWith(this.#emitted)) return '';
    const out = text.slice(this.#emitted.length);
    this.#emitted = text;
    return out;
  }
  flush(): string {
    const text = this.decodeAll(this.#tokens);
    const out = text.startsWith(this.#emitted) ? text.slice(this.#emitted.length) : '';
    this.#emitted = text;
    return out;
  }
}

async function onnx(dir: string, spec: AnySpec): Promise<ServedModel> {
  checkServedModelSpec(dir, spec);
  let m: Awaited<ReturnType<typeof loadOnnxLanguageModel>>;
  try {
    m = await loadOnnxLanguageModel(dir, spec.tokenizer.startsWith('hf:') ? { tokenizerId: spec.tokenizer } : {});
  } catch (e) {
    throw new CliError(`cannot load the model in ${dir}: ${firstLine((e as Error).message)}`);
  }
  if (m.tokenizer !== spec.tokenizer) {
    await m.dispose().catch(() => {});
    throw new CliError(`the model's tokenizer is ${m.tokenizer} but the spec's is ${spec.tokenizer}: they must be the same`);
  }
  let chatTemplate: ModelChatTemplate | null;
  try {
    chatTemplate = loadChatTemplate(m.dir, m.hfTokenizer);
  } catch (e) {
    await m.dispose().catch(() => {});
    throw new CliError(firstLine((e as Error).message));
  }
  // `logits` (for logprobs) then `step` at the same position: one forward pass, not two
  let memo: { ctx: Uint32Array; len: number; logits: Float32Array } | null = null;
  const logitsOnce = async (ctx: Uint32Array, len: number): Promise<Float32Array> => {
    const hit = memo !== null && memo.ctx === ctx && memo.len === len ? memo.logits : null;
    memo = null;
    return hit ?? m.logitsAsync(ctx, len);
  };
  const utf8 = new TextEncoder();
  return {
    id: m.id,
    kind: 'onnx',
    tokenizer: m.tokenizer,
    eos: m.eos,
    maxContext: m.maxContext,
    preferredConcurrency: 1,
    encode: (text) => Uint32Array.from(m.encode(text)),
    decoder: () => new PrefixDecoder((t) => m.decode(t)),
    step: async (embedder, ctx, len, s, rng) => {
      const logits = await logitsOnce(ctx, len);
      return embedder.stepSparseFromLogits(ctx, len, logits, { temperature: s.temperature, topP: s.topP }, rng);
    },
    engineStep: async (sampler, ctx, len, s, rng) => sampler.step(truncatedLogits(await logitsOnce(ctx, len), s.temperature, s.topP), rng),
    logits: async (ctx, len) => (memo = { ctx, len, logits: await m.logitsAsync(ctx, len) }).logits,
    tokenBytes: (id) => utf8.encode(m.decode([id])),
    ...(chatTemplate !== null ? { chatTemplate } : {}),
    dispose: () => m.dispose(),
  };
}

export async function loadServedModel(which: string, spec: AnySpec): Promise<ServedModel> {
  if (which === 'builtin') return builtin(spec);
  return isKnFile(which) ? knFile(which, spec) : onnx(which, spec);
}

/** A regular file (not a directory) is taken as a Kneser–Ney model file. */
function isKnFile(which: string): boolean {
  return existsSync(which) && statSync(which).isFile();
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

