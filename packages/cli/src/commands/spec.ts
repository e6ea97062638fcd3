/**
 * `tracemark spec init|import|show|check`: the versioned WatermarkSpec shared by the
 * embedder (serve, generate) and the detector. The spec names the key by its public
 * fingerprint; the key itself never goes into it. Building, describing and advising live
 * in @tracemark/watermark (buildSpec, describeSpec, specNotes); engine specs (version 2:
 * `spec import`, `spec init --engine`) in ./spec/engine.ts and ../engine-import.
 */
import { buildSpec, contextModeOf, describeSpec, ENGINE_SCHEMES, isEngineSpec, parseAnySpecJson, schemeOptionsProblem, SPEC_LIMITS, SpecError, specNotes, type SpecOptions } from '@tracemark/watermark';
import type { Command } from 'commander';
import { intFlag, numFlag } from '../io/args.js';
import { usage, exists, writeFileAtomic, loadKey, loadSpec, readTextFile, specId, hfTokenizerAvailable, hfTokenizerDir, isHfTokenizerId } from '@tracemark/detector';
import { printJson, println, warn } from '../io/output.js';
import type { SpecCheckOutput, SpecEngineOutput, SpecInitOutput, SpecShowEngineOutput, SpecShowOutput } from '../schemas.js';
import { describeEngineSpec, IMPORT_ENGINES } from '../engine-import/index.js';
import { anySpecId, checkEngineKey, runSpecImport, runSpecInitEngine, type SpecImportFlags, type SpecInitEngineFlags } from './spec/engine.js';

export interface SpecInitFlags {
  scheme: string;
  gamma?: string;
  delta?: string;
  layers?: string;
  width: string;
  mode: string;
  payloadBits?: string;
  digitBits?: string;
  tokenizer: string;
  id?: string;
  key: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

/** `spec init` flags: tracemark's own scheme, or with --engine an engine scheme and a fresh engine key. */
type SpecInitAnyFlags = Omit<SpecInitFlags, 'key'> & Partial<Omit<SpecInitEngineFlags, 'out' | 'tokenizer' | 'id' | 'force'>> & { key?: string };

/**
 * The string flags → the library's typed choices. Checked in the order they always
 * were (scheme and which flags it takes, then each value with its flag's name), so the
 * first error reported for a bad command line is the same.
 */
export function specOptions(f: Omit<SpecInitFlags, 'key' | 'out'>): SpecOptions {
  const problem = schemeOptionsProblem(f.scheme, f);
  if (problem !== undefined) throw usage(problem);
  const L = SPEC_LIMITS;
  const num = (rule: typeof L.gamma | typeof L.delta, v: string | undefined): number | undefined =>
    v === undefined ? undefined : numFlag(rule.flag, v, rule.ok, rule.describe);
  const int = (rule: { flag: string; min: number; max: number }, v: string | undefined): number | undefined =>
    v === undefined ? undefined : intFlag(rule.flag, v, rule.min, rule.max);
  return {
    scheme: f.scheme,
    gamma: num(L.gamma, f.gamma),
    delta: num(L.delta, f.delta),
    layers: int(L.layers, f.layers),
    width: intFlag(L.width.flag, f.width, L.width.min, L.width.max),
    mode: specUsage(() => contextModeOf(f.mode)),
    payloadBits: int(L.payloadBits, f.payloadBits),
    // --digit-bits means something only with --payload-bits (and is ignored without)
    digitBits: f.payloadBits !== undefined ? int(L.digitBits, f.digitBits) : undefined,
    tokenizer: f.tokenizer,
    id: f.id,
  };
}

/** The library's SpecError as a usage error (exit 2), same message. */
function specUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw usage(e instanceof SpecError ? e.message : String(e));
  }
}

export function runSpecInit(f: SpecInitFlags): SpecInitOutput {
  const key = loadKey(f.key);
  const options = specOptions(f);
  const spec = specUsage(() => buildSpec(options, key.fingerprint));
  if (exists(f.out) && !f.force) throw usage(`refusing to overwrite existing file ${f.out} (pass --force)`);
  writeFileAtomic(f.out, `${JSON.stringify(spec, null, 2)}\n`);
  // A spec may name a model directory of another machine (it is written), but say so: here
  // detection, generation and serving with it would fail until the directory is there.
  if (isHfTokenizerId(spec.tokenizer) && !hfTokenizerAvailable(spec.tokenizer)) {
    warn(`${spec.tokenizer}: no tokenizer.json in ${hfTokenizerDir(spec.tokenizer)}; the spec is written, but commands that use it here need that directory (paths are relative to where they run)`);
  }
  return { command: 'spec init', path: f.out, specId: specId(spec), spec, notes: specNotes(spec) };
}

/** An engine spec (version 2) or null: read without the version-1 loader, which refuses engine specs. */
function readEngineSpec(path: string) {
  const text = readTextFile(path, 'spec file');
  let spec;
  try {
    spec = parseAnySpecJson(text);
  } catch (e) {
    throw usage(`${path}: ${(e as Error).message}`);
  }
  return isEngineSpec(spec) ? spec : null;
}

export function runSpecShow(path: string): SpecShowOutput | SpecShowEngineOutput {
  const engine = readEngineSpec(path);
  if (engine) return { command: 'spec show', path, specId: anySpecId(engine), summary: describeEngineSpec(engine), spec: engine, notes: [] };
  const spec = loadSpec(path);
  return { command: 'spec show', path, specId: specId(spec), summary: describeSpec(spec), spec, notes: specNotes(spec) };
}

export function runSpecCheck(path: string, keyPath: string | undefined): SpecCheckOutput {
  const engine = readEngineSpec(path);
  if (engine) {
    if (keyPath !== undefined) checkEngineKey(keyPath, engine);
    return { command: 'spec check', path, ok: true, specId: anySpecId(engine), keyFingerprint: engine.keyFingerprint, keyChecked: keyPath !== undefined, notes: [] };
  }
  const spec = loadSpec(path);
  if (keyPath !== undefined) loadKey(keyPath, spec); // throws (exit 2) on a wrong key
  return {
    command: 'spec check',
    path,
    ok: true,
    specId: specId(spec),
    keyFingerprint: spec.keyFingerprint,
    keyChecked: keyPath !== undefined,
    notes: specNotes(spec),
  };
}

export function registerSpec(program: Command): void {
  const spec = program.command('spec').description('create, show and check watermark specs');
  spec
    .command('init')
    .description('write a new spec bound to a key (by its public fingerprint); with --engine, an engine spec and a fresh engine key')
    .requiredOption('--out <file>', 'where to write the spec (JSON)')
    .option('--key <file>', 'watermark key file (only its fingerprint goes into the spec); required without --engine')
    .option('--scheme <name>', 'kgw | gumbel | synthid | unigram', 'kgw')
    .option('--gamma <γ>', 'green-list fraction (kgw, unigram; default 0.25; with --engine: gamma / greenlistRatio)')
    .option('--delta <δ>', 'green-token logit bias (kgw, unigram; default 2; with --engine: delta / bias)')
    .option('--layers <m>', 'tournament layers (synthid; default 30)')
    .option('--width <h>', 'context width h, 1..8 (1–2 are the most radioactive)', '1')
    .option('--mode <mode>', 'context hashing: left | min | self', 'left')
    .option('--payload-bits <n>', 'carry an n-bit id (e.g. the account id) in every response (kgw; 16..64)')
    .option('--digit-bits <b>', 'payload bits per digit (1..4; default 2)')
    .option('--engine <scheme>', `an engine's watermark instead: ${ENGINE_SCHEMES.join(' | ')}`)
    .option('--key-out <file>', 'with --engine: where to write the fresh engine key (created 0600)')
    .option('--engine-config <json>', 'with --engine: the engine parameters as JSON (inline or a file), e.g. {"contextWidth":4}')
    .option('--context-width <n>', 'with --engine: contextWidth')
    .option('--alpha <a>', 'with --engine vllm/dual_key_gumbel: alpha')
    .option('--depth <n>', 'with --engine vllm/synthid, hf/synthid, synthid-text/synthid: depth (number of keys)')
    .option('--prf <name>', 'with --engine vllm/…: philox | philox_legacy | hmac_sha256')
    .option('--seeding <name>', 'with --engine vllm/sbw, hf/kgw, lm-watermarking/kgw: selfhash | lefthash')
    .option('--vocab-size <n>', 'with --engine hf/kgw, lm-watermarking/kgw: vocabSize')
    .option('--ngram-len <n>', 'with --engine hf/synthid, synthid-text/synthid: ngramLen')
    .option('--mixing-probability <p>', 'with --engine sglang/gumbel --dual-key: mixingProbability')
    .option('--dual-key', 'with --engine sglang/gumbel: two keys')
    .option('--tokenizer <name>', 'tiktoken encoding (or hf:<model>)', 'o200k_base')
    .option('--id <name>', 'a human-readable name for the spec')
    .option('--force', 'overwrite an existing spec file (and, with --engine, key file)')
    .option('--json', 'machine-readable output')
    .action((f: SpecInitAnyFlags, cmd: Command) => {
      if (f.engine !== undefined) {
        const v1 = ['key', 'scheme', 'layers', 'width', 'mode', 'payloadBits', 'digitBits'].find((o) => cmd.getOptionValueSource(o) === 'cli');
        if (v1 !== undefined) throw usage(`--${v1.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is for tracemark's own schemes, not with --engine`);
        return printEngineOutput(runSpecInitEngine(f as SpecInitEngineFlags), f.json);
      }
      const engineOnly = ['keyOut', 'engineConfig', 'contextWidth', 'alpha', 'depth', 'prf', 'seeding', 'vocabSize', 'ngramLen', 'mixingProbability', 'dualKey'].find((o) => cmd.getOptionValueSource(o) === 'cli');
      if (engineOnly !== undefined) throw usage(`--${engineOnly.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --engine`);
      if (f.key === undefined) throw usage("required option '--key <file>' not specified (or pass --engine <scheme> for an engine spec)");
      const r = runSpecInit(f as SpecInitFlags);
      if (f.json) return printJson(r);
      println(`wrote ${r.path}: ${describeSpec(r.spec)}`);
      println(`spec id ${r.specId}`);
      for (const n of r.notes) println(`note: ${n}`);
    });
  spec
    .command('import')
    .description("turn a serving engine's own watermark config into an engine spec and key file (the key is never printed)")
    .argument('<config>', "the engine's config (JSON): vLLM --watermark-config, SGLang server args or config file, HF WatermarkingConfig / SynthIDTextWatermarkingConfig, synthid-text, lm-watermarking")
    .requiredOption('--engine <name>', IMPORT_ENGINES.join(' | '))
    .requiredOption('--out <file>', 'where to write the spec (JSON)')
    .requiredOption('--key-out <file>', 'where to write the key file (created 0600)')
    .option('--tokenizer <name>', "the engine model's tokenizer: tiktoken encoding or hf:<model directory>", 'o200k_base')
    .option('--vocab-size <n>', "the model's vocab size (hf, lm-watermarking: green lists depend on it)")
    .option('--model-dir <dir>', "hf, hf-synthid: read vocab_size, bos_token_id, eos_token_id from the model directory's config.json")
    .option('--id <name>', 'a human-readable name for the spec')
    .option('--force', 'overwrite existing spec and key files')
    .option('--json', 'machine-readable output')
    .action((config: string, f: SpecImportFlags) => printEngineOutput(runSpecImport(config, f), f.json));
  spec
    .command('show')
    .description('print a spec and its id')
    .argument('<spec>', 'spec file (JSON)')
    .option('--json', 'machine-readable output')
    .action((path: string, f: { json?: boolean }) => {
      const r = runSpecShow(path);
      if (f.json) return printJson(r);
      println(r.summary);
      if (r.spec.version === 2) {
        println(`version         2 (engine spec)${r.spec.id !== undefined ? `\nid              ${r.spec.id}` : ''}`);
        println(`key fingerprint ${r.spec.keyFingerprint}`);
        println(`spec id         ${r.specId}`);
        return;
      }
      println(`version         ${r.spec.version}${r.spec.id !== undefined ? `\nid              ${r.spec.id}` : ''}`);
      println(`key fingerprint ${r.spec.keyFingerprint}`);
      println(`spec id         ${r.specId}`);
      for (const n of r.notes) println(`note: ${n}`);
    });
  spec
    .command('check')
    .description('validate a spec (and, with --key, that the key is the one it names)')
    .argument('<spec>', 'spec file (JSON)')
    .option('--key <file>', 'watermark key file to check against the spec fingerprint')
    .option('--json', 'machine-readable output')
    .action((path: string, f: { key?: string; json?: boolean }) => {
      const r = runSpecCheck(path, f.key);
      if (f.json) return printJson(r);
      println(`ok: ${path} is a valid version-${readEngineSpec(path) ? 2 : 1} spec${r.keyChecked ? ' and the key matches its fingerprint' : ''}`);
      for (const n of r.notes) println(`note: ${n}`);
    });
}

function printEngineOutput(r: SpecEngineOutput, json: boolean | undefined): void {
  if (json) return printJson(r);
  println(`wrote ${r.path}: ${describeEngineSpec(r.spec)}`);
  println(`wrote key ${r.keyPath} (mode 0600; keep it secret)`);
  println(`key fingerprint ${r.keyFingerprint}`);
  println(`spec id ${r.specId}`);
  for (const n of r.notes) println(`note: ${n}`);
}
