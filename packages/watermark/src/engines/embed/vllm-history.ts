// vLLM's generation-side context and dedup rule (gpu_sampler.py `_get_contexts` and
// worker/gpu/sample/watermark.py `_repeated_context_mask_cpu`, the reference its Triton
// kernel is tested against):
// - the context of the next position is the last w GENERATED tokens, -1 before the first;
// - "single_turn": the position is sampled without the watermark if that context already
//   preceded one of the last `maxHistory` generated positions (contexts there are padded
//   with -1 before the first generated token, exactly like the current one);
// - "all": the searched history is prompt + generated (padded with -1 before the prompt),
//   and while fewer than w tokens were generated every position is left unwatermarked;
// - "none": never skipped.

export type VllmDedupMode = 'none' | 'single_turn' | 'all';

/** vLLM's default `deduplicate_contexts_max_history`. */
export const VLLM_DEDUP_MAX_HISTORY = 8192;

export interface VllmHistoryOptions {
  readonly contextWidth: number;
  readonly dedup?: VllmDedupMode;
  /** Positions searched (most recent); null = all. Default 8192. */
  readonly maxHistory?: number | null;
  /** Prompt ids: searched by "all" only (vLLM contexts never contain prompt tokens). */
  readonly prompt?: readonly number[];
}

/**
 * Per-request state: the generated tokens, and for every position of the searched history
 * the last position at which each context occurred (a context is keyed by its tuple).
 */
export class VllmHistory {
  readonly generated: number[] = [];
  readonly width: number;
  readonly mode: VllmDedupMode;
  private readonly maxHistory: number | null;
  /** The searched sequence (generated, or prompt + generated for "all"). */
  private readonly seq: number[] = [];
  /** Context key → last history position it preceded. */
  private readonly last = new Map<string, number>();

  constructor(o: VllmHistoryOptions) {
    if (!Number.isInteger(o.contextWidth) || o.contextWidth < 1) throw new RangeError(`context_width must be a positive integer (got ${o.contextWidth})`);
    const mh = o.maxHistory === undefined ? VLLM_DEDUP_MAX_HISTORY : o.maxHistory;
    if (mh !== null && !(Number.isInteger(mh) && mh >= 1)) throw new RangeError(`max history must be a positive integer or null (got ${mh})`);
    this.width = o.contextWidth;
    this.mode = o.dedup ?? 'single_turn';
    this.maxHistory = mh;
    if (this.mode === 'all') for (const t of o.prompt ?? []) this.push(t);
  }

  /** The context of the next position: last w generated tokens, oldest first, -1 padded. */
  context(): number[] {
    const g = this.generated;
    const out: number[] = [];
    for (let j = g.length - this.width; j < g.length; j++) out.push(j < 0 ? -1 : g[j]!);
    return out;
  }

  /** Whether vLLM samples the next position without the watermark. */
  repeated(context = this.context()): boolean {
    if (this.mode === 'none') return false;
    if (this.mode === 'all' && this.generated.length < this.width) return true;
    const at = this.last.get(context.join(','));
    if (at === undefined) return false;
    const start = this.maxHistory === null ? 0 : Math.max(0, this.seq.length - this.maxHistory);
    return at >= start;
  }

  /** Record the token drawn at the next position. */
  append(token: number): void {
    this.generated.push(token);
    if (this.mode !== 'none') this.push(token);
  }

  private push(token: number): void {
    const s = this.seq;
    const key: number[] = [];
    for (let j = s.length - this.width; j < s.length; j++) key.push(j < 0 ? -1 : s[j]!);
    this.last.set(key.join(','), s.length);
    s.push(token);
  }
}
