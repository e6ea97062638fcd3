/**
 * `probe --until-evidence <α>`: score each answer as it is appended to the transcript
 * (in transcript order, so a resumed run replays exactly the same sequence) with an
 * anytime-valid e-process, and stop probing as soon as the evidence reaches 1/α — or the
 * query / token budget is spent. Optional stopping is safe here (Ville's inequality),
 * unlike stopping on a fixed-N p-value; see @tracemark/detector's investigate/eprocess.ts.
 */
import { SequentialMonitor, type SequentialState, type TextTokenizer, type WindowSet } from '@tracemark/detector';
import { isEngineSpec, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { z } from 'zod';
import { givenTexts, type TranscriptLine } from './probe/transcript.js';
import { specTokenizer } from './inputs.js';
import { engineNullModel } from './plan.js';

export interface UntilEvidenceOptions {
  /** Tracemark's spec and key, or an engine spec and the engine's key. */
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  alpha: number;
  filter?: WindowSet;
  /** Transcript lines (answers) after which probing stops in any case. */
  maxQueries?: number;
  /** Response tokens after which probing stops in any case. */
  tokenBudget?: number;
}

export const SequentialProbeSchema = z.strictObject({
  alpha: z.number(),
  test: z.string(),
  filtered: z.boolean(),
  /** 'evidence' | 'max-queries' | 'token-budget' | null (prompts ran out first). */
  stop: z.enum(['evidence', 'max-queries', 'token-budget']).nullable(),
  responses: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
  scored: z.number().int().nonnegative(),
  log10E: z.number(),
  maxLog10E: z.number(),
  /** Anytime-valid p-value 1/sup E (log10). */
  log10P: z.number(),
  crossedAtResponse: z.number().int().nullable(),
  /** The fixed-N pooled p-value of the same tuples: invalid under optional stopping, shown for reference. */
  fixedNLog10P: z.number(),
});
export type SequentialProbe = z.infer<typeof SequentialProbeSchema>;

export class EvidenceWatch {
  readonly #tokenizer: TextTokenizer;
  readonly #monitor: SequentialMonitor;
  readonly #filtered: boolean;
  readonly #test: string;
  #state: SequentialState;

  constructor(o: UntilEvidenceOptions) {
    this.#tokenizer = specTokenizer(o.spec);
    this.#monitor = new SequentialMonitor({
      spec: o.spec,
      key: o.key,
      alpha: o.alpha,
      ...(o.filter ? { filter: o.filter } : {}),
      ...(o.maxQueries !== undefined ? { maxResponses: o.maxQueries } : {}),
      ...(o.tokenBudget !== undefined ? { maxTokens: o.tokenBudget } : {}),
      specialTokens: this.#tokenizer.specialTokenIds,
    });
    this.#filtered = o.filter !== undefined;
    this.#test = sequentialTestName(o.spec);
    this.#state = this.#monitor.state();
  }

  /** Feed one answered transcript line; true when probing should stop. */
  feed(line: Pick<TranscriptLine, 'prompt' | 'request' | 'response'>): boolean {
    const given = givenTexts(line).map((g) => this.#tokenizer.encode(g).tokens);
    this.#state = this.#monitor.add({ tokens: this.#tokenizer.encode(line.response).tokens, given });
    return this.#state.stop !== null;
  }

  get state(): SequentialState {
    return this.#state;
  }

  summary(): SequentialProbe {
    const s = this.#state;
    const stop = s.stop === 'max-responses' ? 'max-queries' : s.stop === 'max-tokens' ? 'token-budget' : s.stop;
    return {
      alpha: s.alpha,
      test: this.#test,
      filtered: this.#filtered,
      stop,
      responses: s.responses,
      tokens: s.tokens,
      scored: s.scored,
      log10E: s.log10E,
      maxLog10E: s.maxLnE / Math.LN10,
      log10P: s.log10P,
      crossedAtResponse: s.crossedAtResponse,
      fixedNLog10P: s.fixedN.log10P,
    };
  }

  dispose(): void {
    this.#tokenizer.dispose();
  }
}

/** The e-process in words: tracemark's schemes by name, an engine's from its reader's null model. */
export function sequentialTestName(spec: AnySpec): string {
  const gumbel = 'mixture of exponential-tilt likelihood ratios, uniform prior on θ ∈ (0,1)';
  const bernoulli = (p: string) => `mixture of Bernoulli likelihood ratios, uniform prior on q ∈ [${p}, 1]`;
  if (isEngineSpec(spec)) {
    const nm = engineNullModel(spec);
    return `${spec.engine.scheme}: ${nm.kind === 'gamma' ? gumbel : bernoulli(String(nm.p))}`;
  }
  const nm = spec.scheme.name;
  return nm === 'gumbel' ? gumbel : bernoulli(nm === 'synthid' ? '0.5' : String(spec.scheme.gamma));
}
