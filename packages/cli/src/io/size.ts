/**
 * Sizes on the command line: "512MiB", "2GiB", "1.5G", "800MB", "1048576". K, M, G, T and
 * KiB … TiB are powers of 1024; KB, MB, GB, TB powers of 1000; a bare number is bytes.
 */
import { usage } from '@tracemark/detector';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tib: 2 ** 40, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

export function sizeFlag(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const mult = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && mult !== undefined ? Math.floor(Number(m[1]) * mult) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw usage(`--${name} must be a size such as 512MiB, 2GiB or a number of bytes (got ${JSON.stringify(v)})`);
  return bytes;
}
