/**
 * Sequential (anytime-valid) evidence over a stream of responses, for `probe
 * --until-evidence`: the same pipeline as the pooled test — prompt windows excluded,
 * optional window filter, each (window, token) tuple once across all responses, in
 * response order — but every novel tuple feeds an e-process (eprocess.ts). Stopping as
 * soon as sup E ≥ 1/α keeps the false-alarm probability ≤ α (Ville's inequality),
 * however often the evidence is looked at. A budget on responses and tokens bounds the
 * cost when the evidence never comes.
 */
import type { AnySpec, EngineKey, WatermarkKey } from '@tracemark/watermark';
import { hasPayload } from '../detection-types.js';
import { lnToLog10 } from '../stats/index.js';
import { schemeEProcess, type EProcess } from './eprocess.js';
import { PooledPass, type PoolTest } from './pool.js';
import type { EvidenceItem } from './radioactivity.js';
import { windowMask, type WindowSet } from './windows.js';

export interface SequentialOptions {
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  /** Stop when the anytime-valid p-value 1/sup E ≤ alpha. */
  alpha: number;
  filter?: WindowSet | undefined;
  /** Stop after this many responses (default: no limit). */
  maxResponses?: number;
  /** Stop after this many response tokens (default: no limit). */
  maxTokens?: number;
  specialTokens?: Iterable<number>;
}

export type StopReason = 'evidence' | 'max-responses' | 'max-tokens';

export interface SequentialState {
  alpha: number;
  responses: number;
  tokens: number;
  /** Novel tuples fed to the e-process. */
  scored: number;
  lnE: number;
  /** Running maximum of ln E (what the decision uses). */
  maxLnE: number;
  log10E: number;
  /** Anytime-valid p-value min(1, 1/sup E). */
  lnP: number;
  log10P: number;
  /** Responses seen when the evidence threshold was first crossed (null if not yet). */
  crossedAtResponse: number | null;
  crossedAtScored: number | null;
  stop: StopReason | null;
  /** The fixed-N pooled test on the same tuples: NOT valid under optional stopping; for reference only. */
  fixedN: PoolTest;
}

export class SequentialMonitor {
  readonly alpha: number;
  readonly #pass: PooledPass;
  readonly #e: EProcess;
  readonly #filter: WindowSet | undefined;
  readonly #lnThreshold: number;
  readonly #maxResponses: number;
  readonly #maxTokens: number;
  #responses = 0;
  #tokens = 0;
  #crossedAt: number | null = null;
  #crossedScored: number | null = null;

  constructor(o: SequentialOptions) {
    if (!(o.alpha > 0 && o.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${o.alpha}`);
    if (hasPayload(o.spec)) throw new RangeError('sequential testing needs a zero-bit spec (a payload spec has no single green list to bet on)');
    this.alpha = o.alpha;
    this.#pass = new PooledPass(o.spec, o.key, o.specialTokens ? { specialTokens: o.specialTokens } : {});
    this.#e = schemeEProcess(this.#pass.nullModel);
    this.#filter = o.filter;
    this.#lnThreshold = -Math.log(o.alpha);
    this.#maxResponses = o.maxResponses ?? Infinity;
    this.#maxTokens = o.maxTokens ?? Infinity;
  }

  /** Feed the next response (in transcript order). Returns the state after it. */
  add(item: Pick<EvidenceItem, 'tokens' | 'given'>): SequentialState {
    this.#responses++;
    this.#tokens += item.tokens.length;
    if (item.tokens.length > 0) {
      const mask = this.#filter ? windowMask(this.#pass.windowSource, item.tokens, this.#filter) : undefined;
      const e = this.#e;
      this.#pass.add(item.tokens, item.given, {
        mask,
        sink: (score) => {
          e.update(score);
          if (this.#crossedAt === null && e.maxLnE >= this.#lnThreshold) {
            this.#crossedAt = this.#responses;
            this.#crossedScored = e.n;
          }
        },
      });
    }
    return this.state();
  }

  get stopReason(): StopReason | null {
    if (this.#crossedAt !== null) return 'evidence';
    if (this.#responses >= this.#maxResponses) return 'max-responses';
    if (this.#tokens >= this.#maxTokens) return 'max-tokens';
    return null;
  }

  state(): SequentialState {
    const e = this.#e;
    return {
      alpha: this.alpha,
      responses: this.#responses,
      tokens: this.#tokens,
      scored: e.n,
      lnE: e.lnE,
      maxLnE: e.maxLnE,
      log10E: lnToLog10(e.lnE),
      lnP: e.lnP,
      log10P: lnToLog10(e.lnP),
      crossedAtResponse: this.#crossedAt,
      crossedAtScored: this.#crossedScored,
      stop: this.stopReason,
      fixedN: this.#pass.test(),
    };
  }
}
