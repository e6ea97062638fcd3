/**
 * What a job carries in Redis, and its zod schema: a worker parses every payload it
 * takes (Redis is shared, a payload may come from another version or from anyone who can
 * write to it) and rejects a bad one as unrecoverable.
 *
 * No key material travels through Redis: a job names files on the shared directory (the
 * plan) and the path of the key file, which each worker reads itself (or a worker is
 * started with its own --key, which then wins). Paths are absolute, so that a worker
 * started in any directory of any machine reads the same files, provided the shared
 * directory is mounted at the same path on every machine.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';

export const PAYLOAD_VERSION = 1;

const AbsolutePath = z.string().min(1).max(4096).refine((p) => isAbsolute(p), 'must be an absolute path');
const Index = z.number().int().min(0).max(1_000_000_000);

const Common = {
  v: z.literal(PAYLOAD_VERSION),
  /** The scan's run id (also the prefix of its job ids). */
  run: z.string().regex(/^[0-9a-f]{8,64}$/),
  /** The shared directory every job of the scan reads and writes. */
  dir: AbsolutePath,
  /** The plan file (JSON) on the shared directory … */
  plan: AbsolutePath,
  /** … and its hash: a worker refuses a plan file that is not the one the job was enqueued for. */
  planHash: z.string().regex(/^[0-9a-f]{32}$/),
  /** The watermark key file: read by the worker, never copied into Redis. */
  key: AbsolutePath,
};

export const MapPayloadSchema = z.strictObject({ ...Common, kind: z.literal('map'), shard: Index });
export const ReducePayloadSchema = z.strictObject({ ...Common, kind: z.literal('reduce'), partition: Index, memoryBytes: z.number().int().min(1).max(2 ** 50).optional() });
export const JobPayloadSchema = z.discriminatedUnion('kind', [MapPayloadSchema, ReducePayloadSchema]);

export type MapPayload = z.infer<typeof MapPayloadSchema>;
export type ReducePayload = z.infer<typeof ReducePayloadSchema>;
export type JobPayload = z.infer<typeof JobPayloadSchema>;

/** A job's id: the run id, the phase and the index (BullMQ skips an add whose id exists, so re-enqueueing a scan adds nothing twice). */
export function jobIdOf(p: Pick<JobPayload, 'run' | 'kind'> & ({ shard: number } | { partition: number })): string {
  return 'shard' in p ? `${p.run}-map-${p.shard}` : `${p.run}-reduce-${p.partition}`;
}

/** The payload, or one line saying what is wrong with it. */
export function parsePayload(data: unknown): { ok: true; payload: JobPayload } | { ok: false; error: string } {
  const r = JobPayloadSchema.safeParse(data);
  if (r.success) return { ok: true, payload: r.data };
  const first = r.error.issues[0];
  return { ok: false, error: `bad job payload: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'}` };
}
