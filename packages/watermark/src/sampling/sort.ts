/**
 * In-place numeric sorting and selection on typed-array ranges, without allocating
 * (TypedArray.prototype.sort would need a subarray view per call).
 */

/** Ascending introsort of a[0..n): quicksort, insertion sort below 16, heapsort past the depth limit. */
export function sortRange(a: Float64Array, n: number): void {
  if (n < 2) return;
  introsort(a, 0, n - 1, 2 * Math.floor(Math.log2(n)) + 2);
}

function introsort(a: Float64Array, lo: number, hi: number, depth: number): void {
  while (hi - lo > 16) {
    if (depth-- === 0) {
      heapsort(a, lo, hi);
      return;
    }
    const p = partition(a, lo, hi);
    // Recurse into the smaller side so the stack stays O(log n).
    if (p - lo < hi - p) {
      introsort(a, lo, p, depth);
      lo = p + 1;
    } else {
      introsort(a, p + 1, hi, depth);
      hi = p;
    }
  }
  insertion(a, lo, hi);
}

/** Hoare partition around the median of three; returns j with a[lo..j] ≤ pivot ≤ a[j+1..hi]. */
function partition(a: Float64Array, lo: number, hi: number): number {
  const mid = (lo + hi) >>> 1;
  if (a[mid]! < a[lo]!) swap(a, mid, lo);
  if (a[hi]! < a[lo]!) swap(a, hi, lo);
  if (a[hi]! < a[mid]!) swap(a, hi, mid);
  const pivot = a[mid]!;
  let i = lo - 1;
  let j = hi + 1;
  for (;;) {
    do i++; while (a[i]! < pivot);
    do j--; while (a[j]! > pivot);
    if (i >= j) return j;
    swap(a, i, j);
  }
}

function insertion(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > x) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
}

function heapsort(a: Float64Array, lo: number, hi: number): void {
  const n = hi - lo + 1;
  for (let i = (n >>> 1) - 1; i >= 0; i--) siftDown(a, lo, i, n);
  for (let end = n - 1; end > 0; end--) {
    swap(a, lo, lo + end);
    siftDown(a, lo, 0, end);
  }
}

function siftDown(a: Float64Array, lo: number, i: number, n: number): void {
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) return;
    if (c + 1 < n && a[lo + c + 1]! > a[lo + c]!) c++;
    if (a[lo + i]! >= a[lo + c]!) return;
    swap(a, lo + i, lo + c);
    i = c;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The k-th largest value (k ≥ 1) of a[0..n), reordering a. Quickselect with
 * median-of-three; falls back to sorting when it stops shrinking fast.
 */
export function kthLargest(a: Float64Array, n: number, k: number): number {
  if (k < 1 || k > n) throw new RangeError(`kthLargest: k=${k} outside 1..${n}`);
  // The k-th largest is the (n−k)-th smallest (0-based).
  const target = n - k;
  let lo = 0;
  let hi = n - 1;
  let budget = 2 * Math.floor(Math.log2(n)) + 4;
  while (hi > lo) {
    if (hi - lo <= 16 || budget-- === 0) {
      introsort(a, lo, hi, 2 * Math.floor(Math.log2(hi - lo + 1)) + 2);
      return a[target]!;
    }
    const p = partition(a, lo, hi);
    if (target <= p) hi = p;
    else lo = p + 1;
  }
  return a[target]!;
}
