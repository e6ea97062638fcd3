/**
 * Prompt families: a partition of the responses into k disjoint sub-tests, fixed
 * before scoring. With global deduplication every tuple belongs to the family of the
 * response where it first appears, so the families' tests are over disjoint tuple sets
 * — independent under H0 — and Fisher's method combines them exactly
 * (−2 Σ ln pᵢ ~ χ²₂ₖ). A family can be given explicitly (e.g. a `family` field of the
 * prompt set: topic, language, prompt template); otherwise it is a hash of the prompt id:
 *
 *   family(id) = (first 4 bytes of SHA-256("tracemark/family/v1:" ‖ id), big-endian) mod k
 *
 * which depends on nothing but the id, so the partition cannot be tuned to the scores.
 */
import { sha256 } from '@noble/hashes/sha2.js';

const PREFIX = 'tracemark/family/v1:';
const enc = new TextEncoder();

export function familyOf(id: string, k: number): number {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`families must be an integer ≥ 1, got ${k}`);
  const h = sha256(enc.encode(PREFIX + id));
  const v = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  return v % k;
}

/**
 * Dense family indices for explicit family labels, in order of first appearance
 * (labels are strings such as "news", "code"). Returns the index per item and the labels.
 */
export function familyIndex(labels: readonly string[]): { index: number[]; labels: string[] } {
  const map = new Map<string, number>();
  const index = labels.map((l) => {
    let i = map.get(l);
    if (i === undefined) {
      i = map.size;
      map.set(l, i);
    }
    return i;
  });
  return { index, labels: [...map.keys()] };
}
