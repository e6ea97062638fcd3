// log1p exactly as the engines' runtimes compute it. Engines score tokens with
// -log1p(-u); the last bit depends on which libm ran:
// - glibc's __log1p (fdlibm with Shimizu's re-ordered polynomial): CPython's
//   math.log1p (SGLang, HF) and torch's scalar CPU path. V8's Math.log1p is plain
//   fdlibm and differs in about 1 case in 1,000.
// - SLEEF's log1p u10 (FMA build): torch's vectorised CPU kernel for float64.
import { fma } from './fma.js';
import { highWord, withHighWord } from './float-bits.js';

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const LP1 = 6.666666666666735130e-1;
const LP2 = 3.999999999940941908e-1;
const LP3 = 2.857142874366239149e-1;
const LP4 = 2.222219843214978396e-1;
const LP5 = 1.818357216161805012e-1;
const LP6 = 1.531383769920937332e-1;
const LP7 = 1.479819860511658591e-1;

/** glibc sysdeps/ieee754/dbl-64/s_log1p.c, operation for operation. */
export function glibcLog1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let c = 0;
  let hu = 0;
  if (hx < 0x3fda827a) {
    if (ax >= 0x3ff00000) return x === -1 ? -Infinity : NaN;
    if (ax < 0x3e200000) return ax < 0x3c900000 ? x : x - x * x * 0.5;
    if (hx > 0 || hx <= (0xbfd2bec3 | 0)) {
      k = 0;
      f = x;
      hu = 1;
    }
  } else if (hx >= 0x7ff00000) return x + x;
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = withHighWord(u, hu | 0x3ff00000);
    } else {
      k += 1;
      u = withHighWord(u, hu | 0x3fe00000);
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1.0;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + (c + k * LN2_LO);
    const R = hfsq * (1.0 - 0.66666666666666666 * f);
    return k === 0 ? f - R : k * LN2_HI - ((R - (k * LN2_LO + c)) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const R1 = z * LP1;
  const z2 = z * z;
  const R2 = LP2 + z * LP3;
  const z4 = z2 * z2;
  const R3 = LP4 + z * LP5;
  const z6 = z4 * z2;
  const R4 = LP6 + z * LP7;
  const R = R1 + z2 * R2 + z4 * R3 + z6 * R4;
  if (k === 0) return f - (hfsq - s * (hfsq + R));
  return k * LN2_HI - ((hfsq - (s * (hfsq + R) + (k * LN2_LO + c))) - f);
}

/** floor(log2(|x|)) for a normal x (SLEEF's ilogb2k). */
function ilogb2k(x: number): number {
  return ((highWord(x) >>> 20) & 0x7ff) - 0x3ff;
}

/**
 * SLEEF xlog1p (u10) as built with FMA (AVX2 / NEON), for -1 < d <= 1e307 and normal 1+d:
 * the double-double core of sleefsimddp.c, every mla an exactly rounded FMA.
 */
export function sleefLog1p(d: number): number {
  if (Number.isNaN(d) || d < -1) return NaN;
  if (d === -1) return -Infinity;
  if (d > 1e307) return Infinity;
  if (Object.is(d, -0)) return -0;
  const dp1 = d + 1;
  if (dp1 < 2.2250738585072014e-308) throw new RangeError('sleefLog1p: 1+d subnormal is not replayed');
  const e = ilogb2k(dp1 * (1.0 / 0.75));
  const t = 2 ** -e;
  const m = fma(d, t, t - 1);
  // s = ddmul((ln2_hi, ln2_lo), e)
  const lnx = 0.693147180559945286226764;
  const lny = 2.319046813846299558417771e-17;
  let sx = lnx * e;
  let sy = fma(lny, e, fma(lnx, e, -sx));
  // x = dddiv((m, 0), ddadd(2, m))
  const dx = 2 + m;
  const dy = 2 - dx + m;
  const rt = 1 / dx;
  const qs = m * rt;
  const qu = fma(rt, m, -qs);
  const qv = fma(-dy, rt, fma(-dx, rt, 1));
  const xx = qs;
  const xy = fma(qs, qv, fma(0, rt, qu));
  const x2 = xx * xx;
  const x4 = x2 * x2;
  const x8 = x4 * x4;
  // POLY7(x2, x4, x8, c6..c0) = MLA(x8, POLY3(x2, x4, c6, c5, c4), POLY4(x2, x4, c3, c2, c1, c0))
  const p3 = fma(x4, 0.1532076988502701353e0, fma(x2, 0.1525629051003428716e0, 0.1818605932937785996e0));
  const p4 = fma(
    x4,
    fma(x2, 0.2222214519839380009e0, 0.2857142932794299317e0),
    fma(x2, 0.3999999999635251990e0, 0.6666666666667333541e0),
  );
  const poly = fma(x8, p3, p4);
  // s = ddadd_vd2_vd2_vd2(s, ddscale(x, 2))
  const yx = xx * 2;
  const yy = xy * 2;
  let ns = sx + yx;
  sy = sx - ns + yx + sy + yy; // vadd_vd_4vd: left to right
  sx = ns;
  // s = ddadd_vd2_vd2_vd(s, x2 * x.x * t)
  const w = x2 * xx * poly;
  ns = sx + w;
  sy = sx - ns + w + sy;
  sx = ns;
  return sx + sy;
}
