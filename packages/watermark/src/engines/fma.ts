// Exactly rounded fused multiply-add in plain double arithmetic, so engine code that
// was compiled with FMA (SLEEF's AVX2 / NEON paths inside torch) can be replayed bit
// for bit in a browser. Dekker's product gives a*b = p + e exactly; the three-term
// sum is rounded once with Boldo & Melquiond's round-to-odd trick. Valid while no
// intermediate overflows or underflows, which holds for the engines' arguments.
import { isOddMantissa, nextToward } from './float-bits.js';

const SPLITTER = 134217729; // 2^27 + 1

function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (((p - ah * bh) - al * bh) - ah * bl);
}

/** x + y rounded to odd: the exact sum if representable, else the neighbour with an odd last bit. */
function addRoundToOdd(x: number, y: number): number {
  const s = x + y;
  const err = twoSumError(x, y, s);
  if (err === 0 || isOddMantissa(s)) return s;
  return nextToward(s, err);
}

function twoSumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

/** round(a*b + c), one rounding. */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p) || p === 0) return p + c;
  const e = twoProductError(a, b, p);
  const uh = p + e;
  const ul = twoSumError(p, e, uh);
  const th = c + uh;
  const tl = twoSumError(c, uh, th);
  return th + addRoundToOdd(tl, ul);
}
