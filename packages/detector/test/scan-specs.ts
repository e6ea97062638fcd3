// Keyed watermarks for the scan tests: deterministic tracemark and engine specs from a seed,
// and the set the out-of-core tests run (shared with their crash child process).
import { generateEngineKey, parseEngineSpec, seededRng, type AnySpec, type EngineKey, type EngineSpecInput, type WatermarkKey } from '@tracemark/watermark';
import { testKey, testSpec } from './helpers.js';

export function engineSpec(e: EngineSpecInput['engine'], seed: string): { spec: AnySpec; key: EngineKey } {
  const rng = seededRng(seed);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
  const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: e, keyFingerprint: '0'.repeat(32) });
  const key = generateEngineKey(spec0.engine, bytes);
  return { spec: { ...spec0, keyFingerprint: key.fingerprint }, key };
}

export function tracemarkSpec(input: Parameters<typeof testSpec>[1], seed: string): { spec: AnySpec; key: WatermarkKey } {
  const key = testKey(seed);
  return { spec: testSpec(key, input), key };
}

export const SPECS: [string, () => { spec: AnySpec; key: WatermarkKey | EngineKey }][] = [
  ['kgw with a 16-bit payload', () => tracemarkSpec({ scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 16, digitBits: 2 } }, 'x-kgw')],
  ['gumbel', () => tracemarkSpec({ scheme: { name: 'gumbel' }, context: { width: 2, mode: 'left' } }, 'x-gumbel')],
  ['synthid', () => tracemarkSpec({ scheme: { name: 'synthid', layers: 30 }, context: { width: 2, mode: 'min' } }, 'x-synthid')],
  ['engine vllm/gumbel', () => engineSpec({ scheme: 'vllm/gumbel' }, 'x-vllm')],
];

