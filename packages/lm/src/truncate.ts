/**
 * Exact top-k / top-p on a sparse distribution whose unlisted "rest" can be read
 * in descending order of probability.
 *
 * Both filters keep a most-probable prefix of the distribution sorted by
 * (probability desc, token id asc). The listed candidates are enough when the
 * most probable unlisted token is strictly less likely than the last kept one;
 * otherwise unlisted tokens are pulled in (in order) and the cut is redone, so
 * the result is the same as on the dense distribution, ties included.
 * Cuts are found by quickselect (linear time), not by sorting the candidates.
 */

/** The unlisted tokens in descending weight order (ties by ascending id). */
export interface RestSource {
  /** Weight of the next unlisted token, 0 when there is none. */
  peek(): number;
  /** Remove and return the next unlisted token. */
  take(): { id: number; w: number };
}

export interface Truncated {
  ids: Int32Array;
  /** Renormalised over the kept set. */
  probs: Float64Array;
}

/** Keep `count` values: every value > cut, then as many equal to cut as needed. */
export interface Cut {
  cut: number;
  count: number;
}

/**
 * Apply top-k (0 = off) then top-p (1 = off; on the top-k-renormalised mass) to
 * weights `w` of `ids` plus `rest`, where `total` is the sum of all weights,
 * listed and unlisted. The kept set always includes the most probable token.
 */
export function truncate(
  ids: ArrayLike<number>,
  w: ArrayLike<number>,
  total: number,
  rest: RestSource,
  topK: number,
  topP: number,
): Truncated {
  let curIds = Int32Array.from(ids);
  let curW = Float64Array.from(w);
  let n = curIds.length;
  let listedMass = 0;
  for (let i = 0; i < n; i++) listedMass += curW[i]!;
  const take = (until: () => boolean) => {
    while (rest.peek() > 0 && !until()) {
      const t = rest.take();
      if (n === curIds.length) {
        const ni = new Int32Array(Math.max(16, 2 * n)), nw = new Float64Array(ni.length);
        ni.set(curIds);
        nw.set(curW);
        curIds = ni;
        curW = nw;
      }
      curIds[n] = t.id;
      curW[n++] = t.w;
      listedMass += t.w;
    }
  };
  const scratch = () => curW.slice(0, n);
  for (;;) {
    // Too few listed for top-k: pull the next most likely unlisted tokens.
    if ((topK > 0 && topK > n) || n === 0) {
      if (rest.peek() > 0) {
        take(() => n >= Math.max(topK, 1));
        continue;
      }
      if (n === 0) throw new Error('truncate: empty distribution');
    }
    let c: Cut = { cut: -Infinity, count: n };
    let kept: Float64Array = scratch();
    let mass = total;
    if (topK > 0) {
      c = cutByCount(kept, n, Math.min(topK, n));
      // The top-k set must be complete before top-p renormalises over it.
      if (rest.peek() >= c.cut) {
        const cut = c.cut;
        take(() => rest.peek() < cut);
        continue;
      }
      kept = keptValues(curW, n, c);
      mass = 0;
      for (let i = 0; i < kept.length; i++) mass += kept[i]!;
    }
    if (topP < 1) {
      const target = topP * mass;
      const cp = cutByMass(kept, kept.length, target);
      if (cp) c = cp;
      else if (rest.peek() > 0 && !(topK > 0)) {
        // The listed mass does not reach p: pull unlisted tokens until it does.
        take(() => listedMass >= target);
        continue;
      } else if (!(topK > 0)) {
        c = cutByCount(kept, kept.length, kept.length); // rounding kept us just short: keep all
      }
    }
    // An unlisted token at least as likely as the cut belongs before it (or ties with it).
    // The cut can only rise as tokens are added, so pulling every unlisted token at least
    // as likely as the current cut is enough; the next pass recomputes it exactly.
    const cut = c.cut;
    if (rest.peek() >= cut) {
      take(() => rest.peek() < cut);
      continue;
    }
    return select(curIds, curW, n, c);
  }
}

/** The values a Cut keeps (all above it, then ties). */
function keptValues(w: Float64Array, n: number, c: Cut): Float64Array {
  const out = new Float64Array(c.count);
  let j = 0;
  for (let i = 0; i < n && j < c.count; i++) if (w[i]! > c.cut) out[j++] = w[i]!;
  for (let i = 0; i < n && j < c.count; i++) if (w[i] === c.cut) out[j++] = w[i]!;
  return out;
}

/** Three-way partition of a[lo..hi): > pivot first, then == pivot, then < pivot. Returns [lt, gt]. */
function partition3(a: Float64Array, lo: number, hi: number, pivot: number): [number, number] {
  let i = lo, lt = lo, gt = hi;
  while (i < gt) {
    const x = a[i]!;
    if (x > pivot) {
      a[i] = a[lt]!;
      a[lt++] = x;
      i++;
    } else if (x < pivot) {
      a[i] = a[--gt]!;
      a[gt] = x;
    } else i++;
  }
  return [lt, gt];
}

function median3(a: Float64Array, lo: number, hi: number): number {
  const x = a[lo]!, y = a[(lo + hi) >>> 1]!, z = a[hi - 1]!;
  return x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
}

/** The k largest of a[0..n) (k ≤ n; a is reordered). */
export function cutByCount(a: Float64Array, n: number, k: number): Cut {
  let lo = 0, hi = n, above = 0;
  for (;;) {
    const pivot = median3(a, lo, hi);
    const [lt, gt] = partition3(a, lo, hi, pivot);
    if (above + (lt - lo) >= k) hi = lt;
    else if (above + (gt - lo) >= k) return { cut: pivot, count: k };
    else {
      above += gt - lo;
      lo = gt;
    }
  }
}

/**
 * The smallest set of largest values of a[0..n) whose sum is ≥ target, or null
 * when all of them sum to less (a is reordered).
 */
export function cutByMass(a: Float64Array, n: number, target: number): Cut | null {
  let lo = 0, hi = n, above = 0, aboveCount = 0;
  while (lo < hi) {
    const pivot = median3(a, lo, hi);
    const [lt, gt] = partition3(a, lo, hi, pivot);
    let up = 0;
    for (let i = lo; i < lt; i++) up += a[i]!;
    if (above + up >= target) {
      hi = lt;
      continue;
    }
    const eq = (gt - lt) * pivot;
    if (above + up + eq >= target) {
      const need = Math.min(gt - lt, Math.max(1, Math.ceil((target - above - up) / pivot)));
      return { cut: pivot, count: aboveCount + (lt - lo) + need };
    }
    above += up + eq;
    aboveCount += gt - lo;
    lo = gt;
  }
  return null;
}

/** The kept tokens: all above the cut, then ties at it by ascending id, renormalised. */
function select(ids: Int32Array, w: Float64Array, n: number, c: Cut): Truncated {
  const keep: number[] = [];
  const ties: number[] = [];
  for (let i = 0; i < n; i++) {
    if (w[i]! > c.cut) keep.push(i);
    else if (w[i] === c.cut) ties.push(i);
  }
  ties.sort((a, b) => ids[a]! - ids[b]!);
  for (let i = 0; keep.length < c.count && i < ties.length; i++) keep.push(ties[i]!);
  const outIds = new Int32Array(keep.length);
  const probs = new Float64Array(keep.length);
  let sum = 0;
  for (const i of keep) sum += w[i]!;
  keep.forEach((i, j) => {
    outIds[j] = ids[i]!;
    probs[j] = w[i]! / sum;
  });
  return { ids: outIds, probs };
}
