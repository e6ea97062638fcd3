/**
 * Local-only loading of a transformers.js model directory: checks the files
 * exist before transformers.js is asked for them, and switches remote loading off
 * so that nothing is ever fetched from the Hugging Face Hub.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';

/** transformers.js dtypes and the model file suffix each selects (onnx/model<suffix>.onnx). */
export const ONNX_DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type OnnxDtype = keyof typeof ONNX_DTYPE_SUFFIX;

export interface LocalModelOptions {
  /** Which onnx/<name><suffix>.onnx to load. Default 'fp32' (onnx/model.onnx). */
  dtype?: OnnxDtype;
  /** Base name of the model file inside onnx/. Default 'model'. */
  modelFileName?: string;
}

export interface LocalModelDir {
  /** Absolute path of the directory. */
  dir: string;
  /** The parsed config.json. */
  config: Record<string, unknown>;
  /** Absolute path of the ONNX file that will be loaded. */
  modelPath: string;
  dtype: OnnxDtype;
  modelFileName: string;
}

/**
 * Turn remote loading off in transformers.js (process-wide) and allow local files.
 * Every loader in this module calls it; call it yourself before using
 * transformers.js directly on a tracemark model.
 */
export function configureLocalOnly(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
}

function checkDir(dir: string): string {
  if (typeof dir !== 'string' || dir.length === 0) throw new Error('model directory must be a non-empty path');
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new Error(`ONNX model directory not found: ${abs} (only local directories are loaded; nothing is downloaded)`);
  }
  return abs;
}

/** Check a model directory and read its config; every problem is a one-line error naming the file. */
export function inspectModelDir(dir: string, options: LocalModelOptions = {}): LocalModelDir {
  const abs = checkDir(dir);
  const dtype = options.dtype ?? 'fp32';
  if (!Object.hasOwn(ONNX_DTYPE_SUFFIX, dtype)) {
    throw new Error(`unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(ONNX_DTYPE_SUFFIX).join(', ')}`);
  }
  const modelFileName = options.modelFileName ?? 'model';
  if (!/^[A-Za-z0-9._-]+$/.test(modelFileName)) throw new Error(`invalid model file name ${JSON.stringify(modelFileName)}`);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(join(abs, f))) throw new Error(`${join(abs, f)} not found: a model directory needs config.json, tokenizer.json and tokenizer_config.json`);
  }
  const modelPath = join(abs, 'onnx', `${modelFileName}${ONNX_DTYPE_SUFFIX[dtype]}.onnx`);
  if (!existsSync(modelPath)) throw new Error(`${modelPath} not found (dtype ${dtype} selects this file)`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(join(abs, 'config.json'), 'utf8'));
  } catch (e) {
    throw new Error(`${join(abs, 'config.json')} is not valid JSON: ${(e as Error).message}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`${join(abs, 'config.json')} must hold a JSON object`);
  }
  if (typeof (config as { model_type?: unknown }).model_type !== 'string') {
    throw new Error(`${join(abs, 'config.json')} has no model_type`);
  }
  return { dir: abs, config: config as Record<string, unknown>, modelPath, dtype, modelFileName };
}

/** `hf:<directory name>` with characters outside the spec's tokenizer-id alphabet replaced by '-'. */
export function defaultTokenizerId(dir: string): string {
  const name = basename(resolve(dir)).replace(/[^A-Za-z0-9._-]/g, '-') || 'model';
  return `hf:${name}`;
}

export function checkTokenizerId(id: string): string {
  if (typeof id !== 'string' || !/^hf:[A-Za-z0-9._/-]+$/.test(id)) {
    throw new Error(`tokenizer id must be "hf:<name>" (letters, digits, . _ / -), got ${JSON.stringify(id)}`);
  }
  return id;
}

/** Load the directory's own tokenizer (tokenizer.json + tokenizer_config.json), local files only. */
export async function loadLocalTokenizer(dir: string): Promise<PreTrainedTokenizer> {
  const abs = checkDir(dir);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(join(abs, f))) throw new Error(`${join(abs, f)} not found: the tokenizer needs tokenizer.json and tokenizer_config.json`);
  }
  configureLocalOnly();
  env.localModelPath = dirname(abs);
  try {
    return await AutoTokenizer.from_pretrained(abs, { local_files_only: true });
  } catch (e) {
    throw new Error(`cannot load the tokenizer of ${abs}: ${firstLine(e)}`);
  }
}

/**
 * Load a transformers.js causal LM and its tokenizer in this thread, local files
 * only: for watermarking with transformers.js's own `generate()` through
 * WatermarkLogitsProcessor.
 */
export async function loadTransformersCausalLM(
  dir: string,
  options: LocalModelOptions = {},
): Promise<{ model: PreTrainedModel; tokenizer: PreTrainedTokenizer; dir: string }> {
  const info = inspectModelDir(dir, options);
  const tokenizer = await loadLocalTokenizer(info.dir);
  let model: PreTrainedModel;
  try {
    model = await AutoModelForCausalLM.from_pretrained(info.dir, {
      local_files_only: true,
      dtype: info.dtype,
      model_file_name: info.modelFileName,
    });
  } catch (e) {
    throw new Error(`cannot load the ONNX model in ${info.dir}: ${firstLine(e)}`);
  }
  return { model, tokenizer, dir: info.dir };
}

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}
