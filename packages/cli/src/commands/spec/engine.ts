/**
 * `tracemark spec import` and `spec init --engine`: engine specs (version 2) and engine
 * key files. The conversion is in ../../engine-import (pure); this module reads the
 * inputs, writes the two files (atomically; the key 0600) and never prints the key.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { usage, exists, writeFileAtomic, writeSecretFile, readTextFile, sha256Hex } from '@tracemark/detector';
import { canonicalJson, engineKeyProblem, exportEngineKeyFile, isEngineKey, parseAnyKeyFile, type EngineSpec } from '@tracemark/watermark';
import { z } from 'zod';
import { intFlag } from '../../io/args.js';
import { buildEngineSpec, engineFromParams, importEngineConfig, ImportError, IMPORT_ENGINES, isImportEngine, TRTLLM_REFUSAL, type ImportContext, type Imported } from '../../engine-import/index.js';
import type { SpecEngineOutput } from '../../schemas.js';

export interface SpecImportFlags {
  engine: string;
  out: string;
  keyOut: string;
  tokenizer: string;
  vocabSize?: string;
  modelDir?: string;
  id?: string;
  force?: boolean;
  json?: boolean;
}

/** The spec id of any spec: SHA-256 of its canonical JSON (as for version 1). */
export function anySpecId(spec: object): string {
  return sha256Hex(canonicalJson(spec));
}

/** JSON text → value, without echoing the text (a config holds the key). */
export function parseJsonQuietly(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    throw usage(`${what} is not valid JSON${at ? ` (at character ${at[1]})` : ''}`);
  }
}

const ModelConfigSchema = z.looseObject({
  vocab_size: z.number().int().positive().optional(),
  text_config: z.looseObject({ vocab_size: z.number().int().positive().optional() }).optional(),
  bos_token_id: z.unknown().optional(),
  eos_token_id: z.unknown().optional(),
});

/** vocab_size and BOS/EOS ids from a HF model directory's config.json. */
export function readModelDir(dir: string): NonNullable<ImportContext['model']> {
  const path = join(dir, 'config.json');
  const r = ModelConfigSchema.safeParse(parseJsonQuietly(readTextFile(path, 'model config'), path));
  if (!r.success) throw usage(`${path}: ${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`);
  const int = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
  const vocabSize = r.data.vocab_size ?? r.data.text_config?.vocab_size;
  return {
    path: dir,
    ...(vocabSize !== undefined ? { vocabSize } : {}),
    ...(int(r.data.bos_token_id) !== undefined ? { bosTokenId: int(r.data.bos_token_id)! } : {}),
    ...(int(r.data.eos_token_id) !== undefined ? { eosTokenId: int(r.data.eos_token_id)! } : {}),
  };
}

function importError<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ImportError) throw usage(`${where}: ${e.message}`);
    throw e;
  }
}

/** Refuse before anything is written: same path twice, or an existing file without --force. */
function checkTargets(out: string, keyOut: string, force: boolean | undefined): void {
  if (out === keyOut) throw usage('--out and --key-out must be different files');
  for (const p of [keyOut, out]) if (exists(p) && !force) throw usage(`refusing to overwrite existing file ${p} (pass --force)`);
}

/** Key first (0600), then the spec; a failed spec write removes a key file it created. */
function writeBoth(built: { spec: EngineSpec; key: Imported['key'] }, out: string, keyOut: string, force: boolean | undefined): void {
  const keyText = `${JSON.stringify(exportEngineKeyFile(built.key), null, 2)}\n`;
  const existed = exists(keyOut);
  if (force) writeFileAtomic(keyOut, keyText, { mode: 0o600 });
  else writeSecretFile(keyOut, keyText);
  try {
    writeFileAtomic(out, `${JSON.stringify(built.spec, null, 2)}\n`, force ? {} : { exclusive: true });
  } catch (e) {
    if (!existed) {
      try {
        unlinkSync(keyOut);
      } catch {
        /* already gone */
      }
    }
    throw e;
  }
}

function finish(command: 'spec import' | 'spec init', importedFrom: SpecEngineOutput['importedFrom'], imported: Imported, f: { out: string; keyOut: string; tokenizer: string; id?: string; force?: boolean }, where: string): SpecEngineOutput {
  const built = importError(where, () => buildEngineSpec(imported, { tokenizer: f.tokenizer, ...(f.id !== undefined ? { id: f.id } : {}) }));
  const notes = [...built.notes];
  if (f.tokenizer === 'o200k_base') notes.push("tokenizer o200k_base (the default): pass --tokenizer hf:<model directory> with the engine model's tokenizer to read text (token ids are read either way)");
  writeBoth(built, f.out, f.keyOut, f.force);
  return {
    command,
    path: f.out,
    keyPath: f.keyOut,
    specId: anySpecId(built.spec),
    keyFingerprint: built.key.fingerprint,
    scheme: built.spec.engine.scheme,
    importedFrom,
    spec: built.spec,
    notes,
  };
}

export function runSpecImport(configPath: string, f: SpecImportFlags): SpecEngineOutput {
  if (f.engine === 'trtllm') throw usage(TRTLLM_REFUSAL);
  if (!isImportEngine(f.engine)) throw usage(`--engine must be one of ${IMPORT_ENGINES.join(', ')} (got ${JSON.stringify(f.engine)})`);
  const engine = f.engine;
  checkTargets(f.out, f.keyOut, f.force);
  const config = parseJsonQuietly(readTextFile(configPath, 'engine config'), configPath);
  const ctx: ImportContext = {
    ...(f.vocabSize !== undefined ? { vocabSize: intFlag('vocab-size', f.vocabSize, 2, 2 ** 24) } : {}),
    ...(f.modelDir !== undefined ? { model: readModelDir(f.modelDir) } : {}),
  };
  const imported = importError(configPath, () => importEngineConfig(engine, config, ctx));
  return finish('spec import', engine === 'trtllm' ? null : engine, imported, f, configPath);
}

export interface SpecInitEngineFlags {
  engine: string;
  engineConfig?: string;
  contextWidth?: string;
  alpha?: string;
  gamma?: string;
  delta?: string;
  depth?: string;
  prf?: string;
  seeding?: string;
  vocabSize?: string;
  ngramLen?: string;
  mixingProbability?: string;
  dualKey?: boolean;
  out: string;
  keyOut?: string;
  tokenizer: string;
  id?: string;
  force?: boolean;
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** The engine flags → tracemark's engine parameters (camelCase); the flag names a bad value. */
function paramsFromFlags(f: SpecInitEngineFlags): Record<string, unknown> {
  const hfKgw = f.engine === 'hf/kgw';
  const num = (flag: string, v: string) => {
    if (!NUMBER.test(v.trim())) throw usage(`--${flag} must be a number (got ${JSON.stringify(v)})`);
    return Number(v);
  };
  const p: Record<string, unknown> = {};
  const set = (name: string, flag: string, v: unknown) => {
    if (v !== undefined) p[name] = typeof v === 'string' && !['prf', 'seeding'].includes(name) ? num(flag, v) : v;
  };
  set('contextWidth', 'context-width', f.contextWidth);
  set('alpha', 'alpha', f.alpha);
  set(hfKgw ? 'greenlistRatio' : 'gamma', 'gamma', f.gamma);
  set(hfKgw ? 'bias' : 'delta', 'delta', f.delta);
  set('depth', 'depth', f.depth);
  set('prf', 'prf', f.prf);
  set('seeding', 'seeding', f.seeding);
  set('vocabSize', 'vocab-size', f.vocabSize);
  set('ngramLen', 'ngram-len', f.ngramLen);
  set('mixingProbability', 'mixing-probability', f.mixingProbability);
  if (f.dualKey) p.dualKey = true;
  return p;
}

export function runSpecInitEngine(f: SpecInitEngineFlags): SpecEngineOutput {
  if (f.keyOut === undefined) throw usage('--key-out <file> is required with --engine (the fresh engine key is written there)');
  checkTargets(f.out, f.keyOut, f.force);
  let params: Record<string, unknown> = {};
  if (f.engineConfig !== undefined) {
    const src = f.engineConfig.trimStart().startsWith('{') ? f.engineConfig : readTextFile(f.engineConfig, 'engine config');
    const v = parseJsonQuietly(src, '--engine-config');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw usage('--engine-config must be a JSON object of engine parameters');
    params = v as Record<string, unknown>;
  }
  const flags = paramsFromFlags(f);
  for (const k of Object.keys(flags)) if (k in params) throw usage(`${k} is given both as a flag and in --engine-config`);
  const imported = importError('--engine', () => engineFromParams(f.engine, { ...params, ...flags }));
  return finish('spec init', null, imported, { ...f, keyOut: f.keyOut }, `--engine ${f.engine}`);
}

/** `spec check --key` on an engine spec: fingerprint, then the key's kind and range for the scheme. */
export function checkEngineKey(keyPath: string, spec: EngineSpec): void {
  const text = readTextFile(keyPath, 'key file');
  let key;
  try {
    key = parseAnyKeyFile(text, spec.keyFingerprint);
  } catch (e) {
    throw usage(`${keyPath}: ${(e as Error).message}`);
  }
  if (!isEngineKey(key)) throw usage(`${keyPath}: the spec is an engine spec but this is a tracemark key file`);
  const problem = engineKeyProblem(spec.engine, key);
  if (problem) throw usage(`${keyPath}: wrong key for ${spec.engine.scheme}: ${problem}`);
}
