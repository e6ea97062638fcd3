/**
 * Number formats of the generated result pages (the *-doc.ts renderers): one place, so the
 * pages print the same value the same way.
 */

/** One decimal, with no "-0.0" (a log10 p that rounds to zero prints as 0.0). */
export const f1 = (x: number): string => (Math.abs(x) < 0.05 ? '0.0' : x.toFixed(1));

/** An integer with thousands separators. */
export const n = (x: number): string => x.toLocaleString('en-US');
