// One reader per engine scheme: createEngineReader(spec, key) checks the key against the
// spec (fingerprint, kind, range) and returns the reader the detector scores through.
import { engineKeyProblem, type EngineKey } from '../../engine-keys.js';
import type { EngineSpec } from '../../engine-spec.js';
import { assertKeyMatches, type KeyMatchOptions } from '../../keys.js';
import { kgwReader } from './kgw.js';
import { sglangReader } from './sglang.js';
import { synthidReader } from './synthid.js';
import type { EngineReader } from './types.js';
import { vllmReader } from './vllm.js';

export * from './types.js';
export { digestContext } from './digest.js';
export { vllmGreenRate } from './vllm.js';
export { hfSynthidOnesRate } from './synthid.js';

export function createEngineReader(spec: EngineSpec, key: EngineKey, opts: KeyMatchOptions = {}): EngineReader {
  assertKeyMatches(key, spec.keyFingerprint, opts);
  const problem = engineKeyProblem(spec.engine, key);
  if (problem) {
    const message = `wrong key for ${spec.engine.scheme}: ${problem}`;
    throw opts.error ? opts.error(message) : new Error(message);
  }
  switch (spec.engine.scheme) {
    case 'sglang/gumbel':
      return sglangReader(spec, key);
    case 'hf/kgw':
    case 'lm-watermarking/kgw':
      return kgwReader(spec, key);
    case 'hf/synthid':
    case 'synthid-text/synthid':
      return synthidReader(spec, key);
    default:
      return vllmReader(spec, key);
  }
}
