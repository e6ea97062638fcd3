/**
 * A set of decoy keys from a public seed: negative controls scored on the same
 * evidence as the real key. A decoy that happens to share the real key's fingerprint
 * is skipped (it would not be a control), so the set always has `count` other keys.
 */
import type { WatermarkKey } from '@tracemark/watermark';
import { decoyKey } from './evidence.js';

export function decoyKeys(seedHex: string, count: number, real: { readonly fingerprint: string }): WatermarkKey[] {
  const keys: WatermarkKey[] = [];
  for (let i = 0; keys.length < count; i++) {
    const d = decoyKey(seedHex, i);
    if (d.fingerprint !== real.fingerprint) keys.push(d);
  }
  return keys;
}
