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

// ---- Fast paths (same outputs as above; test/engines/fast-kgw.test.ts compares them) ----
// One module-level MT19937 state, reseeded in place; no allocation per seed or per draw.

const ST = new Int32Array(N);

function fastSeed(seed: number): void {
  ST[0] = seed | 0;
  for (let i = 1; i < N; i++) {
    const prev = ST[i - 1]! ^ (ST[i - 1]! >>> 30);
    ST[i] = (Math.imul(prev, 1812433253) + i) | 0;
  }
}

const OUT = new Float64Array(N);

/** Twist, then temper the whole block into OUT as u32 values (in doubles). */
function fastBlock(): void {
  fastTwist();
  for (let k = 0; k < N; k++) {
    let y = ST[k]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    OUT[k] = y >>> 0;
  }
}

function fastTwist(): void {
  let i = 0;
  let y: number;
  for (; i < N - M; i++) {
    y = (ST[i]! & 0x80000000) | (ST[i + 1]! & 0x7fffffff);
    ST[i] = ST[i + M]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
  }
  for (; i < N - 1; i++) {
    y = (ST[i]! & 0x80000000) | (ST[i + 1]! & 0x7fffffff);
    ST[i] = ST[i + M - N]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
  }
  y = (ST[N - 1]! & 0x80000000) | (ST[0]! & 0x7fffffff);
  ST[N - 1] = ST[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
}

/**
 * Whether `token` is among the first `count` entries of torch.randperm(n) under `seed`,
 * without building the permutation: only the token's position is followed (it moves only
 * when step i is at its slot, and is final once a step swaps it below i).
 */
export function torchRandpermPrefixHas(n: number, count: number, seed: number, token: number): boolean {
  if (!(token >= 0 && token < n)) return false;
  fastSeed(seed);
  const stop = Math.min(count, n - 1);
  let pos = token;
  for (let i = 0; i < stop; ) {
    fastBlock();
    const end = Math.min(stop, i + N);
    for (let k = 0; i < end; i++, k++) {
      const u = OUT[k]!;
      const m = n - i;
      const z = u - Math.floor(u / m) * m; // exact u mod m (floor(u/m) is exact for u < 2^32)
      if (i + z === pos) return true;
      if (i === pos) pos = i + z;
    }
  }
  return pos < count;
}

let ident = new Int32Array(0);
let undo = new Int32Array(0);

/**
 * The first `count` entries of torch.randperm(n) under `seed` as a bitset over 0..n-1
 * (bit t of word t >> 5), written into `out` (zeroed here). The shuffle runs on a shared
 * identity array that is restored afterwards, so nothing of size n is allocated per seed.
 */
export function torchRandpermPrefixBits(n: number, count: number, seed: number, out = new Uint32Array((n + 31) >>> 5)): Uint32Array {
  if (ident.length < n) {
    ident = new Int32Array(n);
    for (let i = 0; i < n; i++) ident[i] = i;
  }
  if (undo.length < n) undo = new Int32Array(n);
  const r = ident;
  fastSeed(seed);
  const stop = Math.min(count, n - 1);
  for (let i = 0; i < stop; ) {
    fastBlock();
    const end = Math.min(stop, i + N);
    for (let k = 0; i < end; i++, k++) {
      const u = OUT[k]!;
      const m = n - i;
      const j = i + (u - Math.floor(u / m) * m);
      undo[i] = j;
      const t = r[i]!;
      r[i] = r[j]!;
      r[j] = t;
    }
  }
  out.fill(0, 0, (n + 31) >>> 5);
  const take = Math.min(count, n);
  for (let i = 0; i < take; i++) {
    const v = r[i]!;
    out[v >>> 5] = out[v >>> 5]! | (1 << (v & 31));
  }
  for (let i = 0; i < stop; i++) {
    const j = undo[i]!;
    r[i] = i;
    r[j] = j;
  }
  return out;
}
