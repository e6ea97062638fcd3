/**
 * `tracemark spec init|show|check`: the versioned WatermarkSpec shared by the embedder
 * (serve, generate) and the detector. The spec names the key by its public fingerprint;
 * the key itself never goes into it. Building, describing and advising live in
 * @tracemark/watermark (buildSpec, describeSpec, specNotes).
 */
import { buildSpec, contextModeOf, describeSpec, schemeOptionsProblem, SPEC_LIMITS, SpecError, specNotes, type SpecOptions } from '@tracemark/watermark';
import type { Command } from 'commander';
import { intFlag, numFlag } from '../io/args.js';
import { usage, exists, writeFileAtomic, loadKey, loadSpec, specId } from '@tracemark/detector';
import { printJson, println } from '../io/output.js';
import type { SpecCheckOutput, SpecInitOutput, SpecShowOutput } from '../schemas.js';

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
  return { command: 'spec init', path: f.out, specId: specId(spec), spec, notes: specNotes(spec) };
}

export function runSpecShow(path: string): SpecShowOutput {
  const spec = loadSpec(path);
  return { command: 'spec show', path, specId: specId(spec), summary: describeSpec(spec), spec, notes: specNotes(spec) };
}

export function runSpecCheck(path: string, keyPath: string | undefined): SpecCheckOutput {
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
    .description('write a new spec bound to a key (by its public fingerprint)')
    .requiredOption('--key <file>', 'watermark key file (only its fingerprint goes into the spec)')
    .requiredOption('--out <file>', 'where to write the spec (JSON)')
    .option('--scheme <name>', 'kgw | gumbel | synthid | unigram', 'kgw')
    .option('--gamma <γ>', 'green-list fraction (kgw, unigram; default 0.25)')
    .option('--delta <δ>', 'green-token logit bias (kgw, unigram; default 2)')
    .option('--layers <m>', 'tournament layers (synthid; default 30)')
    .option('--width <h>', 'context width h, 1..8 (1–2 are the most radioactive)', '1')
    .option('--mode <mode>', 'context hashing: left | min | self', 'left')
    .option('--payload-bits <n>', 'carry an n-bit id (e.g. the account id) in every response (kgw; 16..64)')
    .option('--digit-bits <b>', 'payload bits per digit (1..4; default 2)')
    .option('--tokenizer <name>', 'tiktoken encoding (or hf:<model>)', 'o200k_base')
    .option('--id <name>', 'a human-readable name for the spec')
    .option('--force', 'overwrite an existing spec file')
    .option('--json', 'machine-readable output')
    .action((f: SpecInitFlags) => {
      const r = runSpecInit(f);
      if (f.json) return printJson(r);
      println(`wrote ${r.path}: ${describeSpec(r.spec)}`);
      println(`spec id ${r.specId}`);
      for (const n of r.notes) println(`note: ${n}`);
    });
  spec
    .command('show')
    .description('print a spec and its id')
    .argument('<spec>', 'spec file (JSON)')
    .option('--json', 'machine-readable output')
    .action((path: string, f: { json?: boolean }) => {
      const r = runSpecShow(path);
      if (f.json) return printJson(r);
      println(r.summary);
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
      println(`ok: ${path} is a valid version-${1} spec${r.keyChecked ? ' and the key matches its fingerprint' : ''}`);
      for (const n of r.notes) println(`note: ${n}`);
    });
}
