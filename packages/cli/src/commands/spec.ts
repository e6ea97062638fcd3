/**
 * `tracemark spec init|show|check`: the versioned WatermarkSpec shared by the embedder
 * (serve, generate) and the detector. The spec names the key by its public fingerprint;
 * the key itself never goes into it.
 */
import { parseSpec, SpecError, type WatermarkSpec, type WatermarkSpecInput } from '@tracemark/watermark';
import type { Command } from 'commander';
import { intFlag, numFlag } from '../io/args.js';
import { usage } from '@tracemark/detector';
import { exists, writeFileAtomic } from '@tracemark/detector';
import { loadKey, loadSpec, specId } from '@tracemark/detector';
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

export function buildSpec(f: Omit<SpecInitFlags, 'key' | 'out'>, keyFingerprint: string): WatermarkSpec {
  const name = f.scheme;
  if (!['kgw', 'gumbel', 'synthid', 'unigram'].includes(name)) {
    throw usage(`--scheme must be one of kgw, gumbel, synthid, unigram (got ${JSON.stringify(name)})`);
  }
  const biased = name === 'kgw' || name === 'unigram';
  if (!biased && (f.gamma !== undefined || f.delta !== undefined)) throw usage(`--gamma and --delta apply to kgw and unigram, not ${name}`);
  if (name !== 'synthid' && f.layers !== undefined) throw usage('--layers applies to the synthid scheme only');
  if (name !== 'kgw' && f.payloadBits !== undefined) throw usage('--payload-bits applies to the kgw scheme only');
  let scheme: WatermarkSpecInput['scheme'];
  if (biased) {
    scheme = {
      name,
      gamma: numFlag('gamma', f.gamma, (n) => n > 0 && n < 1, 'a number in (0, 1)', 0.25),
      delta: numFlag('delta', f.delta, (n) => n > 0 && n <= 20, 'a number in (0, 20]', 2),
    } as WatermarkSpecInput['scheme'];
  } else if (name === 'synthid') {
    scheme = { name, layers: intFlag('layers', f.layers, 1, 64, 30) };
  } else {
    scheme = { name: 'gumbel' };
  }
  const input: WatermarkSpecInput = {
    version: 1,
    ...(f.id !== undefined ? { id: f.id } : {}),
    tokenizer: f.tokenizer,
    scheme,
    context: { width: intFlag('width', f.width, 1, 8), mode: modeOf(f.mode) },
    payload:
      f.payloadBits !== undefined
        ? { bits: intFlag('payload-bits', f.payloadBits, 16, 64), digitBits: intFlag('digit-bits', f.digitBits, 1, 4, 2) }
        : null,
    keyFingerprint,
  };
  try {
    return parseSpec(input);
  } catch (e) {
    throw usage(e instanceof SpecError ? e.message : String(e));
  }
}

function modeOf(m: string): 'left' | 'min' | 'self' {
  if (m === 'left' || m === 'min' || m === 'self') return m;
  throw usage(`--mode must be left, min or self (got ${JSON.stringify(m)})`);
}

/** One line describing a spec for people. */
export function describeSpec(spec: WatermarkSpec): string {
  const sc = spec.scheme;
  const params =
    sc.name === 'kgw' || sc.name === 'unigram' ? `γ=${sc.gamma} δ=${sc.delta}` : sc.name === 'synthid' ? `${sc.layers} layers` : 'distortion-free';
  const ctx = sc.name === 'unigram' ? 'no context (one fixed list)' : `context h=${spec.context.width} (${spec.context.mode})`;
  const payload = spec.payload ? `, ${spec.payload.bits}-bit payload (${spec.payload.digitBits} bits/digit)` : ', zero-bit';
  return `${sc.name} ${params}, ${ctx}, tokenizer ${spec.tokenizer}${payload}`;
}

/** Advice about settings that are valid but weak for proving distillation (DESIGN §7). */
export function specNotes(spec: WatermarkSpec): string[] {
  const notes: string[] = [];
  const sc = spec.scheme;
  if (sc.name !== 'unigram' && spec.context.width >= 4) {
    notes.push(`context width ${spec.context.width} is far less radioactive than h = 1–2: a distilled student reproduces fewer long windows`);
  }
  if ((sc.name === 'kgw' || sc.name === 'unigram') && sc.delta < 1) notes.push(`δ = ${sc.delta} is a weak bias: detection needs many more tokens`);
  if (sc.name === 'unigram') notes.push('unigram uses one fixed green list: robust, but ~30k queries can learn it (spoofing); rotate keys');
  if (spec.payload) notes.push('with a payload, a student trained on many accounts mixes their ids; the per-id test then has less power than a zero-bit test');
  return notes;
}

export function runSpecInit(f: SpecInitFlags): SpecInitOutput {
  const key = loadKey(f.key);
  const spec = buildSpec(f, key.fingerprint);
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
