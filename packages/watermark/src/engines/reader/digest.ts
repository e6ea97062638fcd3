// A 64-bit digest of a context tuple (two independent Murmur3-style lanes), the identity
// under which tracemark deduplicates engine contexts. Positions before the text start
// read `pad` (vLLM: -1, SynthID: 0), exactly as the engine fills them.
import { fmix32 } from '../../fmix32.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SEED_LO = 0x2545f491;
const SEED_HI = 0x9e3779b9;

function mix(h: number, w: number): number {
  let k = Math.imul(w, C1);
  k = Math.imul((k << 15) | (k >>> 17), C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Digest of tokens[from..to) with indices < 0 reading `pad`; writes out[0] = hi, out[1] = lo (int32). */
export function digestContext(tokens: ArrayLike<number>, from: number, to: number, pad: number, out: Int32Array): void {
  let a = SEED_LO | 0, b = SEED_HI | 0;
  for (let j = from; j < to; j++) {
    const t = j < 0 ? pad | 0 : tokens[j]! | 0;
    a = mix(a, t);
    b = mix(b, t ^ 0x5bd1e995);
  }
  const len = (to - from) << 2;
  out[0] = fmix32((b ^ len) >>> 0) | 0;
  out[1] = fmix32((a ^ len) >>> 0) | 0;
}
