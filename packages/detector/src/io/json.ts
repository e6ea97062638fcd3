/** JSON has no ±Infinity/NaN: write them as strings so nothing is silently lost as null. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return v;
}
