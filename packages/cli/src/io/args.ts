/** Parsing numeric and list flags with one-line errors that name the flag. */
import { usage } from '@tracemark/detector';

export function intFlag(name: string, v: string | undefined, min: number, max: number, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw usage(`--${name} is required`);
    return dflt;
  }
  const s = String(v).trim();
  const n = Number(s);
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(`--${name} must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function numFlag(
  name: string,
  v: string | undefined,
  check: (n: number) => boolean,
  describe: string,
  dflt?: number,
): number {
  if (v === undefined) {
    if (dflt === undefined) throw usage(`--${name} is required`);
    return dflt;
  }
  const s = String(v).trim();
  const n = Number(s);
  if (s === '' || !Number.isFinite(n) || !check(n)) throw usage(`--${name} must be ${describe} (got ${JSON.stringify(v)})`);
  return n;
}

/** Commander collector for repeatable options. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** --alpha: a significance level in (0, 0.5]. */
export function alphaFlag(v: string | undefined): number {
  return numFlag('alpha', v, (n) => n > 0 && n <= 0.5, 'a number in (0, 0.5], e.g. 1e-6', DEFAULT_ALPHA);
}

/**
 * Default significance level of every verdict: 1e-6. A watermark verdict may be used
 * to accuse someone, and a provider scans many texts and suspects: at 1e-6 a million
 * independent innocent texts give about one false flag. Tests are exact, so this is
 * the real false-positive rate per test, not a normal-approximation guess.
 */
export const DEFAULT_ALPHA = 1e-6;
export const LN10 = Math.LN10;
