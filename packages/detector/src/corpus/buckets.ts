/**
 * A scoring worker's batch, split by owner: each tuple identity goes to the worker that
 * owns its partition (partitions.ts), in document order, with per-document offsets so
 * that the owner knows which document inserted what.
 */
import type { DocOutcome } from './protocol.js';
import type { Bucket } from './owner.js';
import { ownerOf, type PartitionedDedup } from './partitions.js';

export interface SplitBatch {
  /** One bucket per worker (empty ones too: an owner advances through every batch). */
  buckets: Bucket[];
  /** owners[k]: the owner of the batch's k-th tuple (documents in order). */
  owners: Uint8Array;
}

export function splitByOwner(start: number, outcomes: readonly DocOutcome[], dedup: PartitionedDedup, workers: number): SplitBatch {
  let total = 0;
  for (const o of outcomes) if (o.kind === 'doc') total += o.doc.count;
  const owners = new Uint8Array(total);
  const sizes = new Int32Array(workers);
  let k = 0;
  for (const o of outcomes) {
    if (o.kind !== 'doc') continue;
    const d = o.doc;
    for (let j = 0; j < d.count; j++) {
      const w = ownerOf(dedup.partitionOf(d.hi[j]!, d.lo[j]!, d.token[j]!), workers);
      owners[k++] = w;
      sizes[w]!++;
    }
  }
  const end = start + outcomes.length;
  const buckets: Bucket[] = Array.from({ length: workers }, (_, w) => ({
    start,
    end,
    offsets: new Int32Array(outcomes.length + 1),
    hi: new Int32Array(sizes[w]!),
    lo: new Int32Array(sizes[w]!),
    token: new Int32Array(sizes[w]!),
  }));
  const fill = new Int32Array(workers);
  k = 0;
  outcomes.forEach((o, i) => {
    if (o.kind === 'doc') {
      const d = o.doc;
      for (let j = 0; j < d.count; j++) {
        const w = owners[k++]!;
        const b = buckets[w]!, at = fill[w]!++;
        b.hi[at] = d.hi[j]!;
        b.lo[at] = d.lo[j]!;
        b.token[at] = d.token[j]!;
      }
    }
    for (let w = 0; w < workers; w++) buckets[w]!.offsets[i + 1] = fill[w]!;
  });
  return { buckets, owners };
}

export function bucketTransfer(b: Bucket): ArrayBuffer[] {
  return [b.offsets.buffer, b.hi.buffer, b.lo.buffer, b.token.buffer] as ArrayBuffer[];
}
