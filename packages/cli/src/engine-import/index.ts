/**
 * Engine configs → tracemark engine specs (version 2) and engine keys: pure functions,
 * no I/O. `importEngineConfig` reads an engine's own settings; `engineFromParams` takes
 * tracemark's engine block (for `spec init --engine`); `buildEngineSpec` validates the
 * result against @tracemark/watermark's EngineSpecSchema and engineKeyProblem, naming
 * the offending field in the engine's own words.
 */
import { ENGINE_SCHEMES, ENGINE_SPEC_VERSION, EngineSchemeSchema, EngineSpecSchema, engineKeyProblem, generateEngineKey, type EngineKey, type EngineSchemeName, type EngineSpec } from '@tracemark/watermark';
import { ImportError, type EngineBlock, type ImportContext, type Imported } from './common.js';
import { importHfKgw, importHfSynthid } from './hf.js';
import { importLmWatermarking, importSynthidText } from './reference.js';
import { importSglang } from './sglang.js';
import { importVllm } from './vllm.js';

export { ImportError, integerOf, type ImportContext, type Imported } from './common.js';

export const IMPORT_ENGINES = ['vllm', 'sglang', 'hf', 'hf-synthid', 'synthid-text', 'lm-watermarking', 'trtllm'] as const;
export type ImportEngine = (typeof IMPORT_ENGINES)[number];

/** TensorRT-LLM: its PRF source is in no snapshot this project could read. */
export const TRTLLM_REFUSAL =
  "TensorRT-LLM's watermark PRF (tensorrt_llm.watermark) is in no source snapshot tracemark could read, so its bytes are unknown; vLLM's definitions do not apply to it. Nothing was written.";

export function isImportEngine(s: string): s is ImportEngine {
  return (IMPORT_ENGINES as readonly string[]).includes(s);
}

/** An engine's own config (already JSON-parsed) → engine block + key. Throws ImportError. */
export function importEngineConfig(engine: ImportEngine, config: unknown, ctx: ImportContext = {}): Imported {
  switch (engine) {
    case 'vllm':
      return importVllm(config);
    case 'sglang':
      return importSglang(config);
    case 'hf':
      return importHfKgw(config, ctx);
    case 'hf-synthid':
      return importHfSynthid(config, ctx);
    case 'synthid-text':
      return importSynthidText(config);
    case 'lm-watermarking':
      return importLmWatermarking(config, ctx);
    case 'trtllm':
      throw new ImportError('engine', TRTLLM_REFUSAL);
  }
}

/**
 * tracemark's own engine block (`spec init --engine`: the spec's field names, camelCase)
 * → a validated block and a fresh random key of the scheme's kind.
 */
export function engineFromParams(scheme: string, params: Record<string, unknown>): Imported {
  if (!(ENGINE_SCHEMES as readonly string[]).includes(scheme)) throw new ImportError('engine', `must be one of ${ENGINE_SCHEMES.join(', ')}`);
  if ('scheme' in params) throw new ImportError('scheme', 'give the scheme with --engine, not in the parameters');
  const r = EngineSchemeSchema.safeParse({ scheme, ...params });
  if (!r.success) {
    const i = r.error.issues[0]!;
    if (i.code === 'unrecognized_keys') throw new ImportError(i.keys[0]!, `unknown parameter for ${scheme}`);
    throw new ImportError(i.path.join('.') || scheme, stripField(i.message, String(i.path[0] ?? '')));
  }
  const engine = r.data as EngineBlock;
  const key = generateEngineKey(r.data);
  return { engine, key, fieldOf: {}, notes: [] };
}

/** "gamma must be > 0" reported as "gamma: must be > 0", not "gamma: gamma must be > 0". */
function stripField(message: string, field: string): string {
  return field && message.startsWith(`${field} `) ? message.slice(field.length + 1) : message;
}

export interface BuiltEngineSpec {
  spec: EngineSpec;
  key: EngineKey;
  notes: string[];
}

/** Validate the block as a spec and the key against it; errors name the config field. */
export function buildEngineSpec(imported: Imported, opts: { tokenizer: string; id?: string }): BuiltEngineSpec {
  const name = (f: string) => imported.fieldOf[f] ?? f;
  const r = EngineSpecSchema.safeParse({
    version: ENGINE_SPEC_VERSION,
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    tokenizer: opts.tokenizer,
    engine: imported.engine,
    keyFingerprint: imported.key.fingerprint,
  });
  if (!r.success) {
    const i = r.error.issues[0]!;
    if (i.path[0] === 'tokenizer') throw new ImportError('--tokenizer', i.message.replace(/^tokenizer /, ''));
    if (i.path[0] === 'id') throw new ImportError('--id', i.message);
    const f = String(i.path[1] ?? i.path[0] ?? '');
    throw new ImportError(name(f), stripField(i.message, f));
  }
  const spec = r.data;
  const problem = engineKeyProblem(spec.engine, imported.key);
  if (problem !== null) {
    const colon = problem.indexOf(': ');
    const f = colon > 0 ? problem.slice(0, colon) : 'key';
    throw new ImportError(name(f), colon > 0 ? problem.slice(colon + 2) : problem);
  }
  return { spec, key: imported.key, notes: imported.notes };
}

/** One line describing an engine spec (what `spec show` prints first). */
export function describeEngineSpec(spec: EngineSpec): string {
  const e = spec.engine as Record<string, unknown> & { scheme: EngineSchemeName };
  const params = Object.entries(e)
    .filter(([k, v]) => k !== 'scheme' && v !== undefined)
    .map(([k, v]) => `${k}=${v === null ? 'none' : String(v)}`)
    .join(', ');
  return `engine watermark ${e.scheme} (${params}), tokenizer ${spec.tokenizer}`;
}
