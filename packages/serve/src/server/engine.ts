/**
 * Serving an engine's watermark instead of tracemark's own: an engine spec (version 2)
 * and its key make every choice sample with a fresh engine sampler (watermark's
 * createSpecSampler: vLLM, SGLang, HF transformers, SynthID-Text as those engines do it),
 * given the prompt ids and, at each step, the step's tempered, truncated candidate
 * distribution from the served model.
 *
 * What the engine sees at a step:
 *   builtin  the reference model's sparse distribution (model.distribution with the
 *            request's temperature and top_p): its listed candidates, and the exact mass
 *            of its unlisted tail (0 with top_p < 1; a few per cent at temperature 0.7,
 *            about a third at temperature 1 on the reference model). With probability
 *            that mass the token is drawn plainly from the tail and the engine sampler is
 *            stepped with that one token (its context, dedup memory and history advance
 *            as the engine's would: the engine watermarks a context whatever token wins);
 *            otherwise the engine samples from the listed candidates. Tokens keep the
 *            model's distribution for the distortion-free engines (Gumbel-max, SynthID
 *            tournaments); tail positions carry no watermark, so detection is, if
 *            anything, weaker than with the engine itself.
 *   onnx     the model's dense logits ÷ temperature, cut to the top_p set.
 *
 * Ledger: engine responses are recorded (text hash, account, time, token counts) with
 * their windows: when a choice finishes its generated tokens are read with the engine's
 * reader (prompt ids given) and the context digest of every position the engine keyed
 * (EngineRead.ctxHi/ctxLo: key-independent) is the row's window hash, hi·2^32 + lo as
 * for tracemark's window seeds — so `ledger export-filter` works on engine-bound ledgers.
 */
import { forEachGeneratedWindow } from '@tracemark/detector';
import {
  createEngineReader,
  createSpecSampler,
  type EngineReader,
  type EngineKey,
  type EngineSpec,
  type engines,
  type Rng,
  type SparseDistribution,
} from '@tracemark/watermark';
import { pairToBigInt } from '../ledger/u64.js';

export type EngineSampler = engines.EngineSampler;
export type EngineDistribution = engines.EngineDistribution;
export type EngineStep = engines.EngineStep;

/** The engine watermark a server emulates. */
export interface EngineMarking {
  spec: EngineSpec;
  key: EngineKey;
}

/** Checks that the spec can be embedded (lm-watermarking cannot) before any request: a RangeError names why. */
export function checkEngineMarking(m: EngineMarking): void {
  createSpecSampler(m.spec, m.key, []);
}

/** The sampler of one choice: fresh state, keyed on (or deduplicated against) the prompt where the engine does. */
export function engineSamplerFor(m: EngineMarking, prompt: Uint32Array): EngineSampler {
  return createSpecSampler(m.spec, m.key, Array.from(prompt));
}

const readers = new WeakMap<EngineMarking, EngineReader>();

/** The window hashes of one engine choice: the reader's context digests at the keyed positions of `tokens` (generated after `prompt`). */
export function engineWindows(m: EngineMarking, prompt: Uint32Array, tokens: Uint32Array): bigint[] {
  let reader = readers.get(m);
  if (!reader) readers.set(m, (reader = createEngineReader(m.spec, m.key)));
  const out: bigint[] = [];
  forEachGeneratedWindow(reader, { promptTokens: prompt, tokens }, (hi, lo) => out.push(pairToBigInt(hi, lo)));
  return out;
}

/**
 * One engine step on a sparse distribution (see the file header): with probability
 * restMass a plain draw from the unlisted tail, fed to the sampler as the only
 * candidate; otherwise the sampler's own choice among the listed candidates.
 */
export function engineStepSparse(sampler: EngineSampler, d: SparseDistribution, rng: Rng): EngineStep & { fromRest: boolean } {
  if (d.restMass > 0 && d.sampleRest !== undefined && rng() < d.restMass) {
    const t = d.sampleRest(rng);
    return { ...sampler.step({ ids: [t], probs: [1] }, rng), fromRest: true };
  }
  return { ...sampler.step({ ids: d.ids, probs: d.probs }, rng), fromRest: false };
}

/**
 * Dense logits at temperature 1 → the engine's input: ÷ temperature, then the smallest
 * most-probable set with mass ≥ topP (ties at the cut kept by id order; 1 = dense).
 */
export function truncatedLogits(logits: ArrayLike<number>, temperature: number, topP: number): EngineDistribution {
  const n = logits.length;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = logits[i]! / temperature;
  if (!(topP < 1)) return { logits: t };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => t[b]! - t[a]! || a - b);
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (t[i]! > m) m = t[i]!;
  let z = 0;
  for (let i = 0; i < n; i++) z += Math.exp(t[i]! - m);
  let mass = 0;
  let k = 0;
  while (k < n && mass < topP) mass += Math.exp(t[order[k++]!]! - m) / z;
  const ids = new Int32Array(k);
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    ids[i] = order[i]!;
    out[i] = t[order[i]!]!;
  }
  return { ids, logits: out };
}
