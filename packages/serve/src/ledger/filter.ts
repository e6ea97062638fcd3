/**
 * Filter files: the set of window hashes the provider sent to given accounts,
 * exported from the ledger for the detector ("supervised filter": score only
 * positions whose window the suspect could have learned from our responses).
 *
 * Two encodings of the same content (docs/SERVE.md §Filter files):
 *
 * JSON (`*.json`):
 *   { "type": "tracemark-filter", "version": 1, "specId": "<sha256 hex>",
 *     "keyFingerprint": "<32 hex>", "accounts": ["acct-17", …], "since": ISO|null,
 *     "until": ISO|null, "created": ISO, "responses": n, "count": m,
 *     "windows": ["<16 hex>", …] }             // sorted ascending, unique
 *
 * Binary (`*.bin`):
 *   bytes 0..7    ASCII magic "TMFILTR1"
 *   bytes 8..11   u32 LE: H, length of the header
 *   12..12+H      UTF-8 JSON header: the JSON form without "windows"
 *   then          count × u64 LE window hashes, sorted ascending, unique
 *
 * A window hash is the window seed hi·2^32 + lo (see u64.ts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { hexToU64, packU64, u64ToHex, unpackU64 } from './u64.js';

export const FILTER_MAGIC = 'TMFILTR1';
export const FILTER_VERSION = 1;
/** Refuse headers larger than this (a corrupt length field must not allocate gigabytes). */
const MAX_HEADER_BYTES = 1 << 20;

const HeaderSchema = z.strictObject({
  type: z.literal('tracemark-filter', { error: 'not a tracemark filter (type must be "tracemark-filter")' }),
  version: z.literal(FILTER_VERSION, { error: `unsupported filter version (this build reads version ${FILTER_VERSION})` }),
  specId: z.string().regex(/^[0-9a-f]{64}$/, 'specId must be 64 lowercase hex characters'),
  keyFingerprint: z.string().regex(/^[0-9a-f]{32}$/, 'keyFingerprint must be 32 lowercase hex characters'),
  accounts: z.array(z.string()),
  since: z.string().nullable(),
  until: z.string().nullable(),
  created: z.string(),
  responses: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
});
const JsonFilterSchema = HeaderSchema.extend({ windows: z.array(z.string()) });

export type FilterHeader = z.infer<typeof HeaderSchema>;

/** A loaded filter: membership of a window seed {hi, lo} by binary search (no allocation). */
export class WindowFilter {
  readonly header: FilterHeader;
  /** Sorted ascending, unique. */
  readonly windows: BigUint64Array;
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;

  constructor(header: FilterHeader, windows: BigUint64Array) {
    for (let i = 1; i < windows.length; i++) {
      if (!(windows[i]! > windows[i - 1]!)) throw new Error('filter windows must be sorted ascending without duplicates');
    }
    if (header.count !== windows.length) {
      throw new Error(`filter header says ${header.count} windows but the file holds ${windows.length}`);
    }
    this.header = header;
    this.windows = windows;
    this.#hi = new Uint32Array(windows.length);
    this.#lo = new Uint32Array(windows.length);
    for (let i = 0; i < windows.length; i++) {
      this.#hi[i] = Number(windows[i]! >> 32n);
      this.#lo[i] = Number(windows[i]! & 0xffffffffn);
    }
  }

  get size(): number {
    return this.windows.length;
  }
  get specId(): string {
    return this.header.specId;
  }
  get keyFingerprint(): string {
    return this.header.keyFingerprint;
  }

  /** Is the window seed {hi, lo} (unsigned 32-bit halves, as Watermark.windowSeed gives) in the filter? */
  has(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    let a = 0, b = this.#hi.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      const mh = this.#hi[m]!, ml = this.#lo[m]!;
      if (mh < hi || (mh === hi && ml < lo)) a = m + 1;
      else b = m;
    }
    return a < this.#hi.length && this.#hi[a] === hi && this.#lo[a] === lo;
  }

  hasU64(v: bigint): boolean {
    return this.has(Number(v >> 32n), Number(v & 0xffffffffn));
  }
}

export function encodeFilterJson(header: FilterHeader, windows: BigUint64Array): string {
  return `${JSON.stringify({ ...header, windows: Array.from(windows, u64ToHex) })}\n`;
}

export function encodeFilterBinary(header: FilterHeader, windows: BigUint64Array): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const body = packU64(windows);
  const out = new Uint8Array(12 + head.length + body.length);
  out.set(new TextEncoder().encode(FILTER_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, head.length, true);
  out.set(head, 12);
  out.set(body, 12 + head.length);
  return out;
}

function parseHeader(json: unknown, what: string): FilterHeader {
  const r = HeaderSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`invalid filter ${what}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

/** Decode either encoding (recognised by the binary magic, else parsed as JSON). */
export function decodeFilter(bytes: Uint8Array): WindowFilter {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length >= 12 && magic === FILTER_MAGIC) {
    const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
    if (h > MAX_HEADER_BYTES || 12 + h > bytes.length) throw new Error('invalid binary filter: header length out of range');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + h)));
    } catch {
      throw new Error('invalid binary filter: header is not valid JSON');
    }
    const header = parseHeader(json, 'header');
    const body = bytes.subarray(12 + h);
    if (body.length % 8 !== 0) throw new Error('invalid binary filter: body is not a whole number of u64 values');
    return new WindowFilter(header, unpackU64(body.slice()));
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new Error(`not a filter file: neither the binary magic ${FILTER_MAGIC} nor valid JSON`);
  }
  const r = JsonFilterSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`invalid filter: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const { windows, ...header } = r.data;
  return new WindowFilter(header, BigUint64Array.from(windows, hexToU64));
}

/** Load a filter file written by `tracemark ledger export-filter` (either encoding). */
export function loadFilter(path: string): WindowFilter {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `filter file not found: ${path}` : `cannot read filter file ${path}: ${(e as Error).message}`);
  }
  try {
    return decodeFilter(bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
