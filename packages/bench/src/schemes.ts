/**
 * Scheme descriptors of the benchmark grid, e.g. `kgw-g0.25-d2-h1-left`,
 * `kgw-g0.5-d1-h4-self`, `gumbel-h1`, `synthid-m30-h2`, `unigram-g0.25-d2`:
 * the scheme name, then dash-separated options — g<γ>, d<δ> (kgw, unigram),
 * m<layers> (synthid), h<context width 1..8> and the hashing mode left|min|self
 * (all but unigram). Omitted options take the spec defaults. Every descriptor
 * has one canonical form (`schemeId`), used in results and to derive its key.
 *
 * Keys are derived from the run's seed — SHA-256("tracemark/bench/key/v1" ‖ seed
 * ‖ canonical id) — so the same seed gives the same keys and the same numbers.
 * Benchmark keys are not secrets and must never watermark anything real.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { parseSpec, WatermarkKey, type AnySpec, type EngineKey, type WatermarkSpec, type WatermarkSpecInput } from '@tracemark/watermark';
import { usage } from '@tracemark/detector';
import { benchEngineKey, benchEngineSpec, parseEngineScheme, type EngineSchemeSetting } from './engine-schemes.js';

/** A scheme of the grid: tracemark's own, or an engine's (engine-schemes.ts: descriptors with a "/"). */
export type SchemeSetting = NativeSchemeSetting | EngineSchemeSetting;

export interface NativeSchemeSetting {
  engine?: undefined;
  /** Canonical descriptor. */
  id: string;
  /** For tables and charts: "KGW γ=0.25 δ=2 h=1 left". */
  label: string;
  /** The spec without its key fingerprint. */
  scheme: WatermarkSpecInput['scheme'];
  context: { width: number; mode: 'left' | 'min' | 'self' };
}

export const DEFAULT_SCHEMES = ['kgw-g0.25-d2-h1-left', 'kgw-g0.25-d2-h4-self', 'gumbel-h1-left', 'synthid-m30-h1-left', 'unigram-g0.25-d2'] as const;

function num(s: string, what: string, id: string, ok: (n: number) => boolean): number {
  const n = Number(s);
  if (s === '' || !Number.isFinite(n) || !ok(n)) throw usage(`--schemes: bad ${what} in ${JSON.stringify(id)}`);
  return n;
}

export function parseScheme(desc: string): NativeSchemeSetting {
  const raw = desc.trim();
  const [name, ...opts] = raw.split('-');
  let gamma = 0.25, delta = 2, layers = 30, width = 1;
  let mode: 'left' | 'min' | 'self' = 'left';
  if (name !== 'kgw' && name !== 'gumbel' && name !== 'synthid' && name !== 'unigram') {
    throw usage(`--schemes: unknown scheme ${JSON.stringify(raw)} (expected kgw, gumbel, synthid or unigram, with options like kgw-g0.25-d2-h1-left)`);
  }
  for (const o of opts) {
    const allowed = name === 'kgw' ? 'gdh' : name === 'unigram' ? 'gd' : name === 'synthid' ? 'mh' : 'h';
    if (o === 'left' || o === 'min' || o === 'self') {
      if (name === 'unigram') throw usage(`--schemes: unigram has no context window (${JSON.stringify(raw)})`);
      mode = o;
    } else if (o.length >= 2 && allowed.includes(o[0]!)) {
      const v = o.slice(1);
      if (o[0] === 'g') gamma = num(v, 'gamma', raw, (n) => n > 0 && n < 1);
      else if (o[0] === 'd') delta = num(v, 'delta', raw, (n) => n > 0 && n <= 20);
      else if (o[0] === 'm') layers = num(v, 'layers', raw, (n) => Number.isInteger(n) && n >= 1 && n <= 64);
      else width = num(v, 'context width', raw, (n) => Number.isInteger(n) && n >= 1 && n <= 8);
    } else {
      throw usage(`--schemes: unknown option ${JSON.stringify(o)} in ${JSON.stringify(raw)} (${name} takes ${[...allowed].map((c) => `${c}<n>`).join(', ')}${name !== 'unigram' ? ', left|min|self' : ''})`);
    }
  }
  const ctx = `h${width}-${mode}`;
  switch (name) {
    case 'kgw':
      return { id: `kgw-g${gamma}-d${delta}-${ctx}`, label: `KGW γ=${gamma} δ=${delta} h=${width} ${mode}`, scheme: { name, gamma, delta }, context: { width, mode } };
    case 'unigram':
      return { id: `unigram-g${gamma}-d${delta}`, label: `Unigram γ=${gamma} δ=${delta}`, scheme: { name, gamma, delta }, context: { width: 1, mode: 'left' } };
    case 'synthid':
      return { id: `synthid-m${layers}-${ctx}`, label: `SynthID m=${layers} h=${width} ${mode}`, scheme: { name, layers }, context: { width, mode } };
    default:
      return { id: `gumbel-${ctx}`, label: `Gumbel h=${width} ${mode}`, scheme: { name: 'gumbel' }, context: { width, mode } };
  }
}

export function parseSchemeList(s: string | undefined): SchemeSetting[] {
  const items = (s ?? 'default').split(',').map((x) => x.trim()).filter(Boolean);
  const out: SchemeSetting[] = [];
  for (const it of items) {
    const list = it === 'default' ? [...DEFAULT_SCHEMES] : [it];
    for (const d of list) {
      const sc: SchemeSetting = parseEngineScheme(d) ?? parseScheme(d);
      if (!out.some((o) => o.id === sc.id)) out.push(sc);
    }
  }
  if (out.length === 0) throw usage('--schemes: no schemes given');
  return out;
}

/** The benchmark key of a scheme under a seed (deterministic; not a secret). */
export function benchKey(seed: number, schemeId: string): WatermarkKey {
  return new WatermarkKey(sha256(new TextEncoder().encode(`tracemark/bench/key/v1\u0000${seed}\u0000${schemeId}`)));
}

export function benchSpec(s: NativeSchemeSetting, key: WatermarkKey): WatermarkSpec {
  return parseSpec({ version: 1, id: `bench/${s.id}`, scheme: s.scheme, context: s.context, keyFingerprint: key.fingerprint });
}

/** The key of any scheme (`name`: the id, or "<id>#recheck-<j>" for fresh keys). */
export function benchKeyOf(seed: number, s: SchemeSetting, name: string = s.id): WatermarkKey | EngineKey {
  return s.engine ? benchEngineKey(seed, s, name) : benchKey(seed, name);
}

/** The spec of any scheme under its key. */
export function benchSpecOf(s: SchemeSetting, key: WatermarkKey | EngineKey): AnySpec {
  return s.engine ? benchEngineSpec(s, key.fingerprint) : benchSpec(s, key as WatermarkKey);
}
