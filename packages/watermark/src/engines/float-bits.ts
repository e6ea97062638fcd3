// IEEE-754 bit access for doubles, browser-safe (a shared DataView, no Buffer).
const view = new DataView(new ArrayBuffer(8));

/** High 32 bits of a double's representation (sign, exponent, top 20 mantissa bits), signed. */
export function highWord(x: number): number {
  view.setFloat64(0, x);
  return view.getInt32(0);
}

/** Low 32 bits of a double's representation, unsigned. */
export function lowWord(x: number): number {
  view.setFloat64(0, x);
  return view.getUint32(4);
}

/** The double whose high word is replaced by `hi` (low word kept). */
export function withHighWord(x: number, hi: number): number {
  view.setFloat64(0, x);
  view.setInt32(0, hi | 0);
  return view.getFloat64(0);
}

/** The double with these two words. */
export function fromWords(hi: number, lo: number): number {
  view.setInt32(0, hi | 0);
  view.setUint32(4, lo >>> 0);
  return view.getFloat64(0);
}

/** Whether the last mantissa bit of x is set (used by round-to-odd). */
export function isOddMantissa(x: number): boolean {
  return (lowWord(x) & 1) === 1;
}

/** The next double after x in the direction of `dir` (> 0 up, < 0 down); x finite, non-zero. */
export function nextToward(x: number, dir: number): number {
  view.setFloat64(0, x);
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  const away = (x > 0) === (dir > 0); // magnitude grows
  if (away) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  } else {
    if (lo === 0) hi = (hi - 1) >>> 0;
    lo = (lo - 1) >>> 0;
  }
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}

/** Exact hex rendering of a double, in Python's float.hex() format (for messages and tests). */
export function toPythonHex(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0x0.0p+0' : '0x0.0p+0';
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? '-' : '';
  const biased = (hi >>> 20) & 0x7ff;
  const mant = ((hi & 0xfffff).toString(16).padStart(5, '0') + lo.toString(16).padStart(8, '0'));
  if (biased === 0) return `${sign}0x0.${mant}p-1022`;
  return `${sign}0x1.${mant}p${biased - 1023 >= 0 ? '+' : ''}${biased - 1023}`;
}
