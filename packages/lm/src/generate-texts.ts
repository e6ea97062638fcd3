/**
 * A batch of generations from a model named the way `tracemark generate` names it:
 * "builtin" (the Kneser–Ney reference model) or a local ONNX model directory. Prompt
 * i is sampled with seed "<seed>:<i>", so a batch is deterministic in its seed and
 * each text does not depend on the prompts before it.
 */
import { existsSync, statSync } from 'node:fs';
import { failure, firstLine, usage } from '@tracemark/detector';
import { TIKTOKEN_ENCODINGS } from '@tracemark/watermark';
import { generateTextSync, type GenerateOptions, type StopReason } from './generate.js';
import { loadOnnxLanguageModel, specTokenizerMismatch } from './onnx/index.js';
import { loadReferenceModel } from './reference.js';
import type { LanguageModel } from './types.js';

type Codec = Pick<GenerateOptions, 'encode' | 'decoder'>;

export interface LoadedModel {
  model: LanguageModel;
  /** The model's own tokenizer hooks for generate() (a function: a stream decoder holds state, so one per text). */
  extra: Codec | (() => Codec);
  dispose(): Promise<void>;
}

/** "builtin" (needs a tiktoken tokenizer) or an ONNX model directory (`hf:<model>` tokenizers load that model's). */
export async function loadModel(which: string, tokenizer: string): Promise<LoadedModel> {
  if (which === 'builtin') {
    if (!(TIKTOKEN_ENCODINGS as readonly string[]).includes(tokenizer)) {
      throw usage(
        `--model builtin needs a tiktoken tokenizer (${TIKTOKEN_ENCODINGS.join(', ')}); the spec uses ${tokenizer}: pass --model <the model directory the spec was made for>, or create a spec with --tokenizer o200k_base`,
      );
    }
    try {
      return { model: loadReferenceModel({ encoding: tokenizer }).model, extra: {}, dispose: async () => {} };
    } catch (e) {
      throw failure(`cannot load the built-in reference model: ${firstLine(e)}`);
    }
  }
  if (!existsSync(which) || !statSync(which).isDirectory()) throw usage(`--model must be "builtin" or a model directory; not found: ${which}`);
  let m: Awaited<ReturnType<typeof loadOnnxLanguageModel>>;
  try {
    m = await loadOnnxLanguageModel(which, tokenizer.startsWith('hf:') ? { tokenizerId: tokenizer } : {});
  } catch (e) {
    throw usage(`cannot load the model in ${which}: ${firstLine(e)}`);
  }
  return {
    model: m,
    extra: () => ({ encode: (t: string) => m.encode(t), decoder: m.streamDecoder() }),
    dispose: () => m.dispose(),
  };
}

export interface BatchSampling {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
}

export interface BatchPrompt {
  id: string;
  prompt: string;
}

export interface GeneratedText {
  id: string;
  prompt: string;
  text: string;
  tokens: number;
  watermarkedSteps: number;
  stoppedBy: StopReason;
}

export interface GenerateTextsOptions {
  /** "builtin" or a model directory (see loadModel). */
  model: string;
  tokenizer: string;
  /** The embedder; none = plain text. */
  watermark?: GenerateOptions['watermark'];
  prompts: readonly BatchPrompt[];
  sampling: BatchSampling;
  /** Called after each text with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Load the model, generate one text per prompt, release the model. */
export async function generateTexts(o: GenerateTextsOptions): Promise<{ model: string; results: GeneratedText[] }> {
  // Watermarking a model's ids under a spec for another tokenizer embeds what no detector finds.
  if (o.watermark !== undefined && o.model !== 'builtin') {
    const mismatch = specTokenizerMismatch(o.tokenizer, o.model);
    if (mismatch !== null) throw usage(mismatch);
  }
  const lm = await loadModel(o.model, o.tokenizer);
  const { maxTokens, temperature, topP, topK, seed } = o.sampling;
  const results: GeneratedText[] = [];
  try {
    for (const [i, p] of o.prompts.entries()) {
      const extra = typeof lm.extra === 'function' ? lm.extra() : lm.extra;
      let r;
      try {
        r = generateTextSync({ model: lm.model, watermark: o.watermark, prompt: p.prompt, maxTokens, temperature, topP, topK, seed: `${seed}:${i}`, ...extra });
      } catch (e) {
        throw usage(`prompt ${p.id}: ${firstLine(e)}`);
      }
      results.push({ id: p.id, prompt: p.prompt, text: r.text, tokens: r.tokens.length, watermarkedSteps: r.watermarkedSteps, stoppedBy: r.stoppedBy });
      o.onProgress?.(i + 1, o.prompts.length);
    }
  } finally {
    await lm.dispose();
  }
  return { model: lm.model.id, results };
}
