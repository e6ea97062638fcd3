/**
 * The simulated world of the grid: the provider's reference model (the teacher), human
 * text for the students, the cloner's harvest and the investigator's probe. One per
 * process or worker thread: the teacher and the human text are loaded once, on first use.
 */
import { humanText, promptSet } from '@tracemark/corpora';
import type { EvidenceItem } from '@tracemark/detector';
import { encode, generateTextSync, harvest, referenceModel, type HarvestedResponse, type LanguageModel } from '@tracemark/lm';
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import type { GridSizes } from './definition.js';

export interface GridLog {
  (message: string): void;
}

export class GridSimulation {
  readonly sizes: GridSizes;
  readonly log: GridLog;
  /** Log per-stage timings too. */
  readonly profile: boolean;
  /** The control's answers are the same for every spec (human-only student): probed once, by query count. */
  readonly controls = new Map<number, EvidenceItem[]>();
  #teacher: LanguageModel | undefined;
  #human: string[] | undefined;

  constructor(sizes: GridSizes, opts: { log?: GridLog; profile?: boolean } = {}) {
    this.sizes = sizes;
    this.log = opts.log ?? (() => {});
    this.profile = opts.profile ?? false;
  }

  teacher(): LanguageModel {
    return (this.#teacher ??= referenceModel());
  }

  human(): string[] {
    return (this.#human ??= humanText({ split: 'train' }).map((d) => d.text));
  }

  /** Watermarked answers to harvest prompts until their prompt+response tokens reach `tokens` (prompts and seeds are prefix-stable). */
  harvestAtLeast(spec: WatermarkSpec, key: WatermarkKey, tokens: number): HarvestedResponse[] {
    const out: HarvestedResponse[] = [];
    let have = 0, batch = 0;
    const maxTokens = this.sizes.harvestMaxTokens;
    while (have < tokens) {
      const n = Math.max(16, Math.ceil(((tokens - have) * 1.1) / (maxTokens * 0.8)));
      const prompts = promptSet(out.length + n, 11).slice(out.length);
      for (const r of harvest({ teacher: this.teacher(), spec, key, prompts, maxTokens, seed: 5 + batch++ })) {
        out.push(r);
        have += encode('o200k_base', r.prompt + r.text).length;
      }
    }
    return out;
  }
}

/** The investigator's probe: Q prompts answered by a model (unwatermarked), re-tokenized from text as a real probe would be. */
export function probe(model: LanguageModel, prompts: readonly string[], maxTokens: number, seed: number): EvidenceItem[] {
  return prompts.map((prompt, i) => {
    const r = generateTextSync({ model, prompt, maxTokens, seed: `${seed}/${i}` });
    return { id: `probe-${i}`, tokens: encode('o200k_base', r.text), given: [encode('o200k_base', prompt)] };
  });
}

/** The first answers whose prompt+response tokens reach `tokens` (what a cloner with that budget harvested). */
export function harvestPrefix(h: readonly HarvestedResponse[], tokens: number): HarvestedResponse[] {
  const out: HarvestedResponse[] = [];
  let n = 0;
  for (const r of h) {
    if (n >= tokens) break;
    out.push(r);
    n += encode('o200k_base', r.prompt + r.text).length;
  }
  return out;
}

/** Prompt+response tokens of a harvest (a student's training budget). */
export function tokensOf(hv: readonly HarvestedResponse[]): number {
  return hv.reduce((a, r) => a + encode('o200k_base', r.prompt + r.text).length, 0);
}
