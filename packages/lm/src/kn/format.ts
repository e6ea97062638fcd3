/**
 * The binary model file.
 *
 *   0   8 bytes  magic "TMKNLM\r\n" (the CR LF catches text-mode mangling)
 *   8   u32 LE   format version (KN_FORMAT_VERSION)
 *   12  u32 LE   header length H (bytes of UTF-8 JSON, padded with spaces to a multiple of 8)
 *   16  f64 LE   payload length P
 *   24  32 bytes SHA-256 (@noble/hashes) of header ‖ payload
 *   56  header   JSON: encoding, order, vocabulary, discounts, the array table,
 *                and `meta` (corpus fingerprint, training parameters)
 *   56+H payload the typed arrays, each 8-byte aligned, little-endian
 *
 * Arrays are stored at the narrowest width that holds their values (token ids
 * fit 16 bits for most corpora; child counts of most nodes fit 8), and the
 * trie's child offsets are stored as child counts and re-summed on load.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { KnData } from './data.js';

export const KN_FORMAT_VERSION = 1;
const MAGIC = Uint8Array.from([0x54, 0x4d, 0x4b, 0x4e, 0x4c, 0x4d, 0x0d, 0x0a]); // "TMKNLM\r\n"
const PREFIX = 56;

export type KnFileProblem = 'not-a-model' | 'version' | 'truncated' | 'checksum' | 'header';

export class KnFileError extends Error {
  override name = 'KnFileError';
  constructor(
    readonly problem: KnFileProblem,
    message: string,
  ) {
    super(message);
  }
}

type Width = 'u8' | 'u16' | 'u32';
interface ArrayEntry {
  name: string;
  type: Width;
  length: number;
  offset: number;
}

/** What the cache layer records about how the model was made. */
export interface KnFileMeta {
  corpusFingerprint: string;
  params: Record<string, unknown>;
}

interface Header {
  format: 'tracemark-kn';
  encoding: string;
  order: number;
  vocabSize: number;
  eos: number;
  ordinary: number;
  discounts: number[][];
  arrays: ArrayEntry[];
  meta: KnFileMeta;
}

const BYTES: Record<Width, number> = { u8: 1, u16: 2, u32: 4 };

function narrowest(a: Uint32Array): Width {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > max) max = a[i]!;
  return max < 256 ? 'u8' : max < 65536 ? 'u16' : 'u32';
}

function assertLittleEndian(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('the model file format needs a little-endian platform');
}

export function encodeKnFile(data: KnData, meta: KnFileMeta): Uint8Array {
  assertLittleEndian();
  const arrays: [string, Uint32Array][] = [['vocabIds', data.vocabIds]];
  for (let l = 0; l < data.order; l++) {
    arrays.push([`count${l}`, data.count[l]!]);
    if (l > 0) arrays.push([`token${l}`, data.token[l]!]);
    if (l < data.order - 1) {
      const cs = data.childStart[l]!;
      const n = new Uint32Array(cs.length - 1);
      for (let i = 0; i < n.length; i++) n[i] = cs[i + 1]! - cs[i]!;
      arrays.push([`children${l}`, n]);
    }
  }
  const table: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, a] of arrays) {
    const type = narrowest(a);
    table.push({ name, type, length: a.length, offset });
    offset += Math.ceil((a.length * BYTES[type]) / 8) * 8;
  }
  const header: Header = {
    format: 'tracemark-kn',
    encoding: data.encoding,
    order: data.order,
    vocabSize: data.vocabSize,
    eos: data.eos,
    ordinary: data.ordinary,
    discounts: data.discounts,
    arrays: table,
    meta,
  };
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - (raw.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(PREFIX + headerBytes.length + offset);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, KN_FORMAT_VERSION, true);
  dv.setUint32(12, headerBytes.length, true);
  dv.setFloat64(16, offset, true);
  out.set(headerBytes, PREFIX);
  const payloadStart = PREFIX + headerBytes.length;
  arrays.forEach(([, a], i) => {
    const e = table[i]!;
    const dst = out.subarray(payloadStart + e.offset);
    const typed = e.type === 'u8' ? Uint8Array.from(a) : e.type === 'u16' ? Uint16Array.from(a) : a;
    dst.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  });
  out.set(sha256(out.subarray(PREFIX)), 24);
  return out;
}

/** Parse and validate the fixed prefix and the JSON header (no checksum: cheap staleness checks). */
export function readKnHeader(bytes: Uint8Array): { header: Header; version: number; payloadStart: number; payloadLength: number } {
  const magicOk = MAGIC.every((b, i) => i >= bytes.length || bytes[i] === b);
  if (!magicOk) throw new KnFileError('not-a-model', 'not a tracemark Kneser–Ney model file (bad magic)');
  if (bytes.length < PREFIX) throw new KnFileError('truncated', `model file is truncated (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== KN_FORMAT_VERSION) {
    throw new KnFileError('version', `model file format version ${version} is not supported (this build reads ${KN_FORMAT_VERSION})`);
  }
  const headerLength = dv.getUint32(12, true);
  const payloadLength = dv.getFloat64(16, true);
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) throw new KnFileError('header', 'model file has an invalid payload length');
  if (bytes.length !== PREFIX + headerLength + payloadLength) {
    throw new KnFileError(
      bytes.length < PREFIX + headerLength + payloadLength ? 'truncated' : 'header',
      `model file is ${bytes.length} bytes but its header says ${PREFIX + headerLength + payloadLength} (truncated or damaged)`,
    );
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength))) as Header;
  } catch {
    throw new KnFileError('header', 'model file header is not valid JSON (damaged file)');
  }
  if (header?.format !== 'tracemark-kn' || !Array.isArray(header.arrays)) throw new KnFileError('header', 'model file header is not a tracemark-kn header');
  return { header, version, payloadStart: PREFIX + headerLength, payloadLength };
}

/** Decode a model file, verifying its length and SHA-256 checksum first. */
export function decodeKnFile(bytes: Uint8Array): { data: KnData; meta: KnFileMeta } {
  assertLittleEndian();
  const { header, payloadStart, payloadLength } = readKnHeader(bytes);
  const expected = bytes.subarray(24, PREFIX);
  const actual = sha256(bytes.subarray(PREFIX));
  if (!actual.every((b, i) => b === expected[i])) throw new KnFileError('checksum', 'model file checksum mismatch (the file is corrupt)');

  // Typed-array views need aligned offsets; copy the payload once if the buffer is not 8-aligned.
  let payload = bytes.subarray(payloadStart);
  if (payload.byteOffset % 8 !== 0) payload = payload.slice();
  const get = (name: string): Uint32Array => {
    const e = header.arrays.find((a) => a.name === name);
    if (!e || e.offset + e.length * BYTES[e.type] > payloadLength) throw new KnFileError('header', `model file lacks array ${name}`);
    const at = payload.byteOffset + e.offset;
    if (e.type === 'u32') return new Uint32Array(payload.buffer, at, e.length).slice();
    if (e.type === 'u16') return new Uint32Array(new Uint16Array(payload.buffer, at, e.length));
    return new Uint32Array(new Uint8Array(payload.buffer, at, e.length));
  };
  const order = header.order;
  const count: Uint32Array[] = [];
  const token: Uint32Array[] = [new Uint32Array(0)];
  const childStart: Uint32Array[] = [];
  for (let l = 0; l < order; l++) {
    count.push(get(`count${l}`));
    if (l > 0) token.push(get(`token${l}`));
    if (l < order - 1) {
      const n = get(`children${l}`);
      const cs = new Uint32Array(n.length + 1);
      for (let i = 0; i < n.length; i++) cs[i + 1] = cs[i]! + n[i]!;
      childStart.push(cs);
    }
  }
  const data: KnData = {
    encoding: header.encoding,
    order,
    vocabSize: header.vocabSize,
    eos: header.eos,
    ordinary: header.ordinary,
    vocabIds: get('vocabIds'),
    token,
    count,
    childStart,
    discounts: header.discounts,
  };
  checkConsistency(data);
  return { data, meta: header.meta };
}

/** Structural checks so a valid-checksum file from a buggy writer still fails loudly, not with wrong numbers. */
function checkConsistency(d: KnData): void {
  const bad = (why: string) => new KnFileError('header', `model file is inconsistent: ${why}`);
  if (d.count[0]!.length !== d.vocabIds.length) throw bad('unigram count length');
  for (let l = 0; l < d.order - 1; l++) {
    const cs = d.childStart[l]!;
    if (cs.length !== d.count[l]!.length + 1) throw bad(`level ${l} child table length`);
    if (cs[cs.length - 1] !== d.count[l + 1]!.length) throw bad(`level ${l} children do not add up`);
    if (d.token[l + 1]!.length !== d.count[l + 1]!.length) throw bad(`level ${l + 1} token table length`);
  }
}
