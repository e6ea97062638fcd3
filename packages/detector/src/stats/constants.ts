/**
 * Numeric constants shared by the stats module, written out to full double
 * precision so that no module has to recompute them (and so that every module
 * agrees on the exact same rounded value).
 */

/** ln(2π), correctly rounded (Math.log(2 * Math.PI) is one ulp low). */
export const LN_2PI = 1.8378770664093456;
/** ln(√(2π)) = ½·ln(2π), correctly rounded. */
export const LN_SQRT_2PI = 0.9189385332046728;
/** ln(10). */
export const LN10 = Math.LN10;
/** ln(2). */
export const LN2 = Math.LN2;
/** Euler–Mascheroni constant γ_E. */
export const EULER_GAMMA = 0.5772156649015329;
