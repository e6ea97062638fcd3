// MT19937 (Matsumoto & Nishimura) as torch's CPU generator uses it, and torch's randperm /
// randint semantics on that generator: manual_seed(x) keeps x mod 2^32 only;
// randperm(n): identity, then for i = 0..n-2 swap r[i] with r[i + mt() mod (n - i)];
// randint(0, m) = mt() mod m.

const N = 624;
const M = 397;

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i mod 2^32, via 16-bit halves to stay exact
      mt[i] = (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
      mt[i] = mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** Next u32 output. */
  next(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** torch.randperm(n) on a CPU generator seeded with `seed` (low 32 bits). */
export function torchRandperm(n: number, seed: number): Int32Array {
  return torchRandpermPrefix(n, n, seed);
}

/**
 * The first `count` entries of torch.randperm(n): later swaps never touch earlier slots,
 * so the shuffle can stop after `count` steps (a green list needs only its prefix).
 */
export function torchRandpermPrefix(n: number, count: number, seed: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  const g = new Mt19937(seed);
  const stop = Math.min(count, n - 1);
  for (let i = 0; i < stop; i++) {
    const z = g.next() % (n - i);
    const t = r[i]!;
    r[i] = r[i + z]!;
    r[i + z] = t;
  }
  return count === n ? r : r.subarray(0, count);
}

/** torch.randint(0, m, (size,)) on a CPU generator seeded with `seed`. */
export function torchRandint(m: number, size: number, seed: number): Uint32Array {
  const g = new Mt19937(seed);
  const out = new Uint32Array(size);
  for (let i = 0; i < size; i++) out[i] = g.next() % m;
  return out;
}
