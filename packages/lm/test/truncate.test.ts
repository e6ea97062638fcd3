import { describe, expect, it } from 'vitest';
import { truncate, type RestSource } from '@tracemark/lm';
import { lcg } from './helpers.js';

/** Dense reference: sort by (weight desc, id asc), top-k, then top-p on the renormalised prefix. */
function denseKeep(ids: number[], w: number[], topK: number, topP: number): number[] {
  const order = ids.map((_, i) => i).sort((a, b) => w[b]! - w[a]! || ids[a]! - ids[b]!);
  let keep = topK > 0 ? order.slice(0, topK) : order;
  if (topP < 1) {
    const mass = keep.reduce((s, i) => s + w[i]!, 0);
    let cum = 0, j = 0;
    for (; j < keep.length; j++) {
      cum += w[keep[j]!]!;
      if (cum >= topP * mass) break;
    }
    keep = keep.slice(0, j + 1);
  }
  return keep.map((i) => ids[i]!).sort((a, b) => a - b);
}

function restFrom(ids: number[], w: number[]): RestSource {
  const order = ids.map((_, i) => i).sort((a, b) => w[b]! - w[a]! || ids[a]! - ids[b]!);
  let k = 0;
  return {
    peek: () => (k < order.length ? w[order[k]!]! : 0),
    take: () => ({ id: ids[order[k]!]!, w: w[order[k++]!]! }),
  };
}

describe('truncate', () => {
  it('keeps exactly the dense top-k / top-p set, pulling unlisted tokens when they belong in it', () => {
    const rand = lcg(3);
    for (let trial = 0; trial < 300; trial++) {
      const V = 5 + Math.floor(rand() * 60);
      // Few distinct weight levels, so ties at the cut are common.
      const w = Array.from({ length: V }, () => 1 + Math.floor(rand() * 6) * (rand() < 0.5 ? 1 : 0.1));
      const ids = Array.from({ length: V }, (_, i) => i * 3 + 1);
      // A random subset is listed; the rest comes from the rest source in descending order.
      const listed = ids.map(() => rand() < 0.6);
      const li = ids.filter((_, i) => listed[i]), lw = w.filter((_, i) => listed[i]);
      const ri = ids.filter((_, i) => !listed[i]), rw = w.filter((_, i) => !listed[i]);
      if (li.length === 0) continue;
      const total = w.reduce((a, b) => a + b, 0);
      const topK = rand() < 0.5 ? 1 + Math.floor(rand() * V * 1.2) : 0;
      const topP = rand() < 0.6 ? 0.05 + rand() * 0.95 : 1;
      if (topK === 0 && topP === 1) continue;
      const t = truncate(li, lw, total, restFrom(ri, rw), topK, topP);
      expect(Array.from(t.ids).sort((a, b) => a - b)).toEqual(denseKeep(ids, w, topK, topP));
      const sum = t.probs.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
      t.ids.forEach((id, j) => expect(t.probs[j]).toBeCloseTo(w[ids.indexOf(id)]! / t.ids.reduce((s, x) => s + w[ids.indexOf(x)]!, 0), 12));
    }
  });
});
