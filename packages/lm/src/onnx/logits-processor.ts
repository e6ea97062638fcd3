/**
 * Watermarking inside transformers.js's own `model.generate()`, through its
 * logits-processor hook:
 *
 *   const wmp = new WatermarkLogitsProcessor(watermark);
 *   await model.generate({ input_ids, attention_mask, logits_processor: [wmp], do_sample: true, top_k: 0 });
 *
 * Two modes:
 * - 'bias' (KGW and Unigram; their default): adds δ to the green tokens' logits in
 *   place (Embedder.processLogits) and leaves the draw to transformers.js. Note
 *   that transformers.js applies top-k in its sampler, after the processors, so
 *   with top_k > 0 the truncation sees biased logits (the tracemark pipeline
 *   truncates first); pass top_k: 0 for the spec's order.
 * - 'sample' (every scheme; the default for Gumbel and SynthID): draws the step's
 *   token with the Embedder (Embedder.stepDense, on the logits transformers.js has
 *   already divided by its temperature, with this processor's own topK/topP and
 *   seeded Rng) and masks every other token to −∞, so any sampler (greedy or
 *   multinomial) returns exactly that token. Generation is then reproducible from
 *   the Rng's seed.
 */
import { LogitsProcessor, type Tensor } from '@huggingface/transformers';
import { Embedder, seededRng, type Rng, type Watermark } from '@tracemark/watermark';

export type WatermarkProcessorMode = 'bias' | 'sample';

export interface WatermarkProcessorOptions {
  /** Default: 'bias' for kgw/unigram, 'sample' otherwise. */
  mode?: WatermarkProcessorMode;
  /** Payload message for a multi-bit spec. */
  message?: bigint;
  /** 'sample' mode: uniform source. Default seededRng(seed ?? random). */
  rng?: Rng;
  /** 'sample' mode: seed for the default Rng. */
  seed?: number | string;
  /** 'sample' mode: truncation applied before the watermark (transformers.js's top_k/top_p must then be off). */
  topK?: number;
  topP?: number;
}

export class WatermarkLogitsProcessor extends LogitsProcessor {
  readonly mode: WatermarkProcessorMode;
  readonly embedder: Embedder;
  /** Generation steps processed so far (one call per step, whatever the batch size). */
  steps = 0;
  #ctx = new Int32Array(256);
  readonly #rng: Rng;
  readonly #topK: number | undefined;
  readonly #topP: number | undefined;

  constructor(watermark: Watermark, options: WatermarkProcessorOptions = {}) {
    super();
    const scheme = watermark.spec.scheme.name;
    const mode = options.mode ?? (scheme === 'kgw' || scheme === 'unigram' ? 'bias' : 'sample');
    if (mode !== 'bias' && mode !== 'sample') throw new Error(`mode must be 'bias' or 'sample', got ${JSON.stringify(mode)}`);
    if (mode === 'bias' && scheme !== 'kgw' && scheme !== 'unigram') {
      throw new Error(`the ${scheme} scheme cannot be applied as a logit bias; use mode 'sample'`);
    }
    this.mode = mode;
    this.embedder = options.message === undefined ? new Embedder(watermark) : new Embedder(watermark, { message: options.message });
    this.#rng = options.rng ?? seededRng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.#topK = options.topK;
    this.#topP = options.topP;
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    if (logits.dims.length !== 2) throw new Error(`expected [batch, vocab] logits, got dims [${logits.dims.join(', ')}]`);
    if (!(logits.data instanceof Float32Array)) throw new Error(`the watermark needs float32 logits, got ${logits.type}`);
    const [batch, vocab] = logits.dims as [number, number];
    if (inputIds.length !== batch) throw new Error(`${inputIds.length} id rows for a batch of ${batch}`);
    for (let b = 0; b < batch; b++) {
      const row = inputIds[b]!;
      const n = row.length;
      if (this.#ctx.length < n) this.#ctx = new Int32Array(Math.max(n, 2 * this.#ctx.length));
      const ctx = this.#ctx;
      for (let i = 0; i < n; i++) ctx[i] = Number(row[i]!);
      const rowLogits = logits.data.subarray(b * vocab, (b + 1) * vocab);
      if (this.mode === 'bias') {
        this.embedder.processLogits(ctx, n, rowLogits);
      } else {
        const opts = { ...(this.#topK !== undefined && { topK: this.#topK }), ...(this.#topP !== undefined && { topP: this.#topP }) };
        const { token } = this.embedder.stepDense(ctx, n, rowLogits, opts, this.#rng);
        rowLogits.fill(-Infinity);
        rowLogits[token] = 0;
      }
    }
    this.steps++;
    return logits;
  }
}
