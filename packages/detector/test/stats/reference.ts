/**
 * Independent high-precision reference arithmetic for the stats tests and the
 * fixture generator. Everything is exact BigInt rational arithmetic, plus
 * natural logarithms evaluated in binary fixed point with PREC = 320
 * fractional bits (~96 decimal digits) from first principles (atanh series,
 * Machin's formula for π, Stirling's series with exact Bernoulli numbers).
 * It shares no code with src/stats: it is the yardstick, so it is written
 * for obviousness rather than speed.
 */

export const PREC = 320n;
export const ONE = 1n << PREC;

export function bitLength(n: bigint): number {
  if (n < 0n) n = -n;
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + parseInt(hex[0]!, 16).toString(2).length;
}

export function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** 2·atanh(t/ONE)·ONE for |t| < ONE/2, by the odd power series. */
function twoAtanhFixed(t: bigint): bigint {
  // BigInt division truncates toward zero, so negative t also terminates.
  const t2 = (t * t) / ONE;
  let power = t;
  let sum = 0n;
  for (let k = 1n; power !== 0n; k += 2n) {
    sum += power / k;
    power = (power * t2) / ONE;
  }
  return 2n * sum;
}

/** ln 2 in fixed point: 2·atanh(1/3). */
export const LN2_FIX = twoAtanhFixed(ONE / 3n);

/** ln(m/ONE) for m/ONE ∈ [1, 2). */
function lnMantissa(m: bigint): bigint {
  // Bring m closer to 1 for faster convergence: if m > √2, use m/2 and add ln 2.
  let extra = 0n;
  if (m * m > 2n * ONE * ONE) {
    m = m >> 1n;
    extra = LN2_FIX;
  }
  const t = ((m - ONE) << PREC) / (m + ONE);
  return twoAtanhFixed(t) + extra;
}

/** ln(n) in fixed point for a positive BigInt n (relative error ~2^−320). */
export function lnBig(n: bigint): bigint {
  if (n <= 0n) throw new RangeError('lnBig: argument must be positive');
  const bl = BigInt(bitLength(n));
  // mantissa in [ONE, 2·ONE)
  const m = bl - 1n > PREC ? n >> (bl - 1n - PREC) : n << (PREC - (bl - 1n));
  return (bl - 1n) * LN2_FIX + lnMantissa(m);
}

/** ln(num/den) in fixed point. */
export function lnRational(num: bigint, den: bigint): bigint {
  return lnBig(num) - lnBig(den);
}

/** Fixed-point → double, keeping ≥ 64 significant bits before the final rounding. */
export function fixToNumber(v: bigint): number {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const shift = Math.max(0, bitLength(a) - 64);
  const x = Number(a >> BigInt(shift)) * 2 ** (shift - Number(PREC));
  return neg ? -x : x;
}

/** Exact rational value of a finite double, as [numerator, denominator]. */
export function rationalOfDouble(x: number): [bigint, bigint] {
  if (!Number.isFinite(x)) throw new RangeError('rationalOfDouble: not finite');
  if (x === 0) return [0n, 1n];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const e2 = (exp === 0 ? 1 : exp) - 1075; // value = mant · 2^e2
  let num = sign * mant;
  let den = 1n;
  if (e2 >= 0) num <<= BigInt(e2);
  else den <<= BigInt(-e2);
  const g = gcd(num, den);
  return [num / g, den / g];
}

/** atan(1/x)·ONE for integer x ≥ 2 (Machin's formula ingredient). */
function atanInvFixed(x: bigint): bigint {
  const x2 = x * x;
  let power = ONE / x;
  let sum = 0n;
  for (let k = 1n, sign = 1n; power !== 0n; k += 2n, sign = -sign) {
    sum += (sign * power) / k;
    power /= x2;
  }
  return sum;
}

/** π in fixed point (Machin): π = 16 atan(1/5) − 4 atan(1/239). */
export const PI_FIX = 16n * atanInvFixed(5n) - 4n * atanInvFixed(239n);
/** ln(2π) in fixed point. */
export const LN_2PI_FIX = LN2_FIX + lnBig(PI_FIX) - PREC * LN2_FIX;

/** Exact Bernoulli numbers B_0 … B_max as reduced fractions (B_1 = −1/2). */
function bernoulli(max: number): Array<[bigint, bigint]> {
  const B: Array<[bigint, bigint]> = [[1n, 1n]];
  // Σ_{j=0}^{m} C(m+1, j) B_j = 0
  for (let m = 1; m <= max; m++) {
    let num = 0n;
    let den = 1n;
    let c = 1n; // C(m+1, j)
    for (let j = 0; j < m; j++) {
      const [bn, bd] = B[j]!;
      num = num * bd + c * bn * den;
      den = den * bd;
      const g = gcd(num, den);
      num /= g;
      den /= g;
      c = (c * BigInt(m + 1 - j)) / BigInt(j + 1);
    }
    // B_m = −num/den / C(m+1, m) = −num / (den·(m+1))
    let bn = -num;
    let bd = den * BigInt(m + 1);
    const g = gcd(bn, bd);
    bn /= g;
    bd /= g;
    if (bd < 0n) {
      bn = -bn;
      bd = -bd;
    }
    B.push([bn, bd]);
  }
  return B;
}
const BERN = bernoulli(64);

/**
 * ln Γ(p/q) in fixed point for a positive rational p/q: shift the argument
 * to ≥ 120 with the exact recurrence, then Stirling's series with 30 exact
 * Bernoulli terms (truncation error < 1e−80).
 */
export function lnGammaRational(p: bigint, q: bigint): bigint {
  if (p <= 0n || q <= 0n) throw new RangeError('lnGammaRational: argument must be positive');
  const SHIFT_TO = 120n;
  let prodNum = 1n;
  let prodDen = 1n;
  while (p < SHIFT_TO * q) {
    prodNum *= p;
    prodDen *= q;
    p += q;
  }
  // y = p/q ≥ 120
  const lnY = lnRational(p, q);
  const yFix = (p << PREC) / q;
  let acc = (((yFix - ONE / 2n) * lnY) >> PREC) - yFix + LN_2PI_FIX / 2n;
  for (let k = 1; k <= 30; k++) {
    const [bn, bd] = BERN[2 * k]!;
    const e = BigInt(2 * k - 1);
    // B_2k / (2k(2k−1) y^(2k−1)) = bn q^e / (bd·2k(2k−1)·p^e)
    const num = bn * q ** e;
    const den = bd * BigInt(2 * k * (2 * k - 1)) * p ** e;
    acc += (num << PREC) / den;
  }
  if (prodNum !== 1n) acc -= lnRational(prodNum, prodDen);
  return acc;
}

/** ln(n!) in fixed point (exact product for n < 120). */
export function lnFactorial(n: number): bigint {
  if (n < 120) {
    let f = 1n;
    for (let i = 2n; i <= BigInt(n); i++) f *= i;
    return lnBig(f);
  }
  return lnGammaRational(BigInt(n) + 1n, 1n);
}

/** ln of the exact Binomial(n, a/b) pmf at k, high precision (any n that fits a double). */
export function binomialPmfLogRef(k: number, n: number, a: bigint, b: bigint): bigint {
  const lnC = lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k);
  const lnp = k > 0 ? BigInt(k) * lnRational(a, b) : 0n;
  const lnq = n - k > 0 ? BigInt(n - k) * lnRational(b - a, b) : 0n;
  return lnC + lnp + lnq;
}

/**
 * Exact P(S ≥ s) for S ~ Binomial(n, a/b) as a BigInt fraction, returned as
 * its high-precision natural log (fixed point). Cost grows like n² log b bits,
 * fine for n ≤ a few thousand.
 */
export function binomialUpperTailExactLn(s: number, n: number, a: bigint, b: bigint): bigint {
  if (s <= 0) return 0n;
  const c = b - a;
  // Σ_{k=s}^{n} C(n,k) a^k c^(n−k), explicit terms from k = n downward.
  const cPow: bigint[] = [1n];
  for (let j = 1; j <= n - s; j++) cPow.push(cPow[j - 1]! * c);
  let binom = 1n; // C(n, n)
  let aPow = a ** BigInt(n);
  let sum = 0n;
  for (let k = n; k >= s; k--) {
    sum += binom * aPow * cPow[n - k]!;
    // move to k−1: C(n,k−1) = C(n,k)·k/(n−k+1); a^(k−1) = a^k / a
    binom = (binom * BigInt(k)) / BigInt(n - k + 1);
    if (k > s) aPow /= a;
  }
  if (sum === 0n) throw new Error('zero tail');
  return lnRational(sum, b ** BigInt(n));
}

/**
 * Exact Q(n, u/v) = e^{−x} Σ_{k<n} x^k/k! for integer n ≥ 1 and rational
 * x = u/v ≥ 0, returned as its high-precision natural log.
 */
export function gammaUpperExactLn(n: number, u: bigint, v: bigint): bigint {
  if (u === 0n) return 0n;
  // Σ_{k=0}^{n−1} u^k v^(n−1−k) (n−1)!/k!  over  v^(n−1) (n−1)!
  let term = 1n; // k = 0: v^(n−1)·(n−1)!
  for (let i = 1; i < n; i++) term *= v * BigInt(i);
  let sum = term;
  let den = term;
  for (let k = 0; k < n - 1; k++) {
    term = (term * u) / (v * BigInt(k + 1));
    sum += term;
  }
  return lnRational(sum, den) - (u << PREC) / v;
}

/** Fixed-point → decimal string with `frac` fractional digits (truncated), for fixtures. */
export function fixToDecimal(v: bigint, frac = 30): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const scaled = (a * 10n ** BigInt(frac)) >> PREC;
  const str = scaled.toString().padStart(frac + 1, '0');
  const int = str.slice(0, str.length - frac);
  return `${neg ? '-' : ''}${int}.${str.slice(str.length - frac)}`;
}

/**
 * Independent large-n reference for ln P(S ≥ s), S ~ Binomial(n, p), p a
 * double (taken as its exact rational value): the pmf at s in 96-digit
 * precision (Stirling series for the factorials), then direct summation of
 * the following pmf terms via their exact ratios (n−k)/(k+1)·p/(1−p), until a
 * term falls below 1e−20 of the sum past the mode. Different algorithm from
 * the continued fraction under test; its own error is ~1e−16 per summed term
 * (~1e−13 relative at n = 10⁷).
 */
export function binomialUpperTailSumRef(s: number, n: number, p: number): number {
  const [a, b] = rationalOfDouble(p);
  const l0 = fixToNumber(binomialPmfLogRef(s, n, a, b));
  const ratio = p / (1 - p);
  const mode = n * p;
  let r = 1;
  let sum = 1;
  let offset = 0; // sum and r are scaled by e^−offset
  for (let k = s; k < n; k++) {
    r *= ((n - k) / (k + 1)) * ratio;
    sum += r;
    if (sum > 1e250) {
      sum /= 1e250;
      r /= 1e250;
      offset += 250 * Math.LN10;
    }
    if (k > mode && r < 1e-20 * sum) break;
  }
  return l0 + offset + Math.log(sum);
}

/**
 * Independent reference for ln Q(n, x) with integer n: Q(n, x) =
 * P(Poisson(x) ≤ n − 1) = Σ_{k<n} e^−x x^k/k!, the k = n−1 term in 96-digit
 * precision and the rest by exact ratios k/x, summed downward.
 */
export function gammaUpperTailSumRef(n: number, x: number): number {
  const [u, v] = rationalOfDouble(x);
  const lt = -(u << PREC) / v + BigInt(n - 1) * lnRational(u, v) - lnFactorial(n - 1);
  const l0 = fixToNumber(lt);
  let r = 1;
  let sum = 1;
  let offset = 0;
  for (let k = n - 1; k >= 1; k--) {
    r *= k / x;
    sum += r;
    if (sum > 1e250) {
      sum /= 1e250;
      r /= 1e250;
      offset += 250 * Math.LN10;
    }
    if (k < x && r < 1e-20 * sum) break;
  }
  return l0 + offset + Math.log(sum);
}

/** ln Γ of a double argument (exact rational), as a double. */
export function lnGammaRef(x: number): number {
  const [p, q] = rationalOfDouble(x);
  return fixToNumber(lnGammaRational(p, q));
}

/** |got − ref| / max(1, |ref|): the accuracy measure required for ln p values. */
export function lnErr(got: number, ref: number): number {
  if (got === ref) return 0;
  return Math.abs(got - ref) / Math.max(1, Math.abs(ref));
}
