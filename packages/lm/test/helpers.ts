/** Shared test helpers: a fixed key, specs, and an independent Kneser–Ney reference. */
import { parseSpec, WatermarkKey, type WatermarkSpecInput } from '@tracemark/watermark';

export const KEY = new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff));

export function spec(scheme: WatermarkSpecInput['scheme'], extra: Partial<WatermarkSpecInput> = {}) {
  return parseSpec({ version: 1, scheme, context: { width: 1, mode: 'left' }, keyFingerprint: KEY.fingerprint, ...extra });
}

/** Deterministic pseudo-random integers for building test inputs. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Interpolated modified Kneser–Ney written the slow, obvious way (string-keyed maps
 * over a circular stream), to check the typed-array implementation against.
 */
export class ReferenceKn {
  readonly counts: Map<string, number>[] = []; // adjusted counts per order k (index k-1)
  readonly discounts: number[][] = [];
  constructor(
    stream: number[],
    readonly order: number,
    readonly eos: number,
    readonly validVocab: number,
  ) {
    const L = stream.length;
    const raw: Map<string, number>[] = [];
    for (let k = 1; k <= order; k++) {
      const m = new Map<string, number>();
      for (let p = 0; p < L; p++) {
        const g = Array.from({ length: k }, (_, i) => stream[(p + i) % L]).join(',');
        m.set(g, (m.get(g) ?? 0) + 1);
      }
      raw.push(m);
    }
    for (let k = 1; k <= order; k++) {
      if (k === order) {
        this.counts.push(raw[k - 1]!);
        continue;
      }
      const cont = new Map<string, number>();
      for (const g of raw[k]!.keys()) {
        const suffix = g.split(',').slice(1).join(',');
        cont.set(suffix, (cont.get(suffix) ?? 0) + 1);
      }
      this.counts.push(cont);
    }
    for (const m of this.counts) {
      const n = [0, 0, 0, 0, 0];
      for (const c of m.values()) if (c <= 4) n[c]!++;
      const y = n[1]! / (n[1]! + 2 * n[2]!);
      const d = [1 - (2 * y * n[2]!) / n[1]!, 2 - (3 * y * n[3]!) / n[2]!, 3 - (4 * y * n[4]!) / n[3]!];
      this.discounts.push(n.slice(1).every((x) => x > 0) ? d.map((v, i) => Math.min(Math.max(v, 0.01), i + 0.99)) : [0.5, 1, 1.5]);
    }
  }

  #d(k: number, c: number): number {
    return c === 0 ? 0 : this.discounts[k - 1]![Math.min(c, 3) - 1]!;
  }

  /** P(w | h) with |h| = k - 1 context tokens. */
  #p(k: number, h: number[], w: number): number {
    if (k === 1) {
      let total = 0, disc = 0;
      for (const c of this.counts[0]!.values()) {
        total += c;
        disc += this.#d(1, c);
      }
      const c = this.counts[0]!.get(String(w)) ?? 0;
      return Math.max(c - this.#d(1, c), 0) / total + disc / total / this.validVocab;
    }
    const prefix = h.join(',') + ',';
    let total = 0, disc = 0;
    for (const [g, c] of this.counts[k - 1]!) {
      if (g.startsWith(prefix) && g.split(',').length === k) {
        total += c;
        disc += this.#d(k, c);
      }
    }
    const lower = this.#p(k - 1, h.slice(1), w);
    if (total === 0) return lower;
    const c = this.counts[k - 1]!.get(prefix + w) ?? 0;
    return Math.max(c - this.#d(k, c), 0) / total + (disc / total) * lower;
  }

  prob(prefix: number[], w: number): number {
    const ctx = [this.eos, ...prefix].slice(-(this.order - 1));
    return this.#p(ctx.length + 1, ctx, w);
  }
}
