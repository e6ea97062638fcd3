/**
 * 64-bit window hashes as the ledger and filter files store them.
 *
 * The watermark core carries a window seed as two unsigned 32-bit halves {hi, lo}.
 * On disk a hash is the unsigned integer hi·2^32 + lo:
 *   - packed BLOBs and binary filters: 8 bytes little-endian (lo first, then hi);
 *   - JSON filters: 16 lowercase hex digits, most significant first (hi then lo);
 *   - the SQLite `windows` table: the same bits as a signed INTEGER (SQLite has no
 *     unsigned 64-bit type), i.e. BigInt.asIntN(64, value).
 */

export interface U64Pair {
  hi: number;
  lo: number;
}

export function pairToBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function toSigned(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

export function fromSigned(v: bigint): bigint {
  return BigInt.asUintN(64, v);
}

export function u64ToHex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export function hexToU64(s: string): bigint {
  if (!/^[0-9a-f]{16}$/.test(s)) throw new Error(`a window hash is 16 lowercase hex digits (got ${JSON.stringify(s.slice(0, 40))})`);
  return BigInt(`0x${s}`);
}

/** Sorted (unsigned ascending), duplicate-free copy. */
export function sortUnique(values: Iterable<bigint>): BigUint64Array {
  const arr = BigUint64Array.from(values);
  arr.sort();
  let n = 0;
  for (let i = 0; i < arr.length; i++) {
    if (i === 0 || arr[i] !== arr[n - 1]) arr[n++] = arr[i]!;
  }
  return arr.slice(0, n);
}

/** Pack as little-endian u64s (the ledger's `windows` BLOB, a binary filter's body). */
export function packU64(values: BigUint64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setBigUint64(i * 8, values[i]!, true);
  return out;
}

export function unpackU64(bytes: Uint8Array): BigUint64Array {
  if (bytes.length % 8 !== 0) throw new Error(`packed window hashes must be a multiple of 8 bytes (got ${bytes.length})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new BigUint64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = dv.getBigUint64(i * 8, true);
  return out;
}
