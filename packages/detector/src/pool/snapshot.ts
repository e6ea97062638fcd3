/**
 * An evidence pool's state as JSON: the counts (numbers round-trip exactly through
 * JSON), the Fisher accumulator and the dedup set's tuples as base64 of (hi, lo, token)
 * int32 triples. The zod shape below is spread into the scan checkpoint's schema: the
 * checkpoint format IS this snapshot plus the scan's position.
 */
import { z } from 'zod';

const int = z.number().int();
const CountsStateSchema = z.strictObject({
  scored: int.min(0),
  sum: z.number(),
  counts: z.array(int).nullable(),
  perPosition: z.array(int).nullable(),
});

export const PoolSnapshotShape = {
  scored: int.min(0),
  sum: z.number(),
  fisher: z.strictObject({ k: int.min(0), sum: z.number(), comp: z.number() }),
  counts: z.array(int).nullable(),
  perPosition: z.array(int).nullable(),
  /** The first add that was not fully deduplicated (memory budget reached). */
  dedupOverflowAt: int.min(0).optional(),
  /** Per-family counts (pools with families). */
  families: z.array(CountsStateSchema).optional(),
  /** base64 of the dedup set's (hi, lo, token) int32 triples, host byte order, in no particular order. */
  tuples: z.string(),
};

export const PoolSnapshotSchema = z.strictObject(PoolSnapshotShape);
export type PoolSnapshot = z.infer<typeof PoolSnapshotSchema>;

export function encodeTuples(triples: Int32Array): string {
  return Buffer.from(triples.buffer, triples.byteOffset, triples.byteLength).toString('base64');
}

/** The triples, or undefined when the data is not whole triples. */
export function decodeTuples(b64: string): Int32Array | undefined {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % 12 !== 0) return undefined;
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}
