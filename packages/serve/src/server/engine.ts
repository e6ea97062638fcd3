/**
 * Serving an engine's watermark instead of tracemark's own: an engine spec (version 2)
 * and its key make every choice sample with a fresh engine sampler (watermark's
 * createSpecSampler: vLLM, SGLang, HF transformers, SynthID-Text as those engines do it),
 * given the prompt ids and, at each step, the step's tempered, truncated candidate
 * distribution from the served model.
 *
 * What the engine sees at a step:
 *   builtin  the reference model's listed candidates (model.distribution with the
 *            request's temperature and top_p). With top_p < 1 that is the whole
 *            truncated distribution; with top_p = 1 the model's unlisted tail (at most
 *            a few per cent of the mass, spread over the rest of the vocabulary) is
 *            left out and the list renormalised, as if the engine served the model
 *            with that tail truncated.
 *   onnx     the model's dense logits ÷ temperature, cut to the top_p set.
 *
 * Ledger: engine responses are recorded (text hash, account, time, token counts: what
 * `ledger lookup` and `ledger info` need) with no window hashes — window filters are
 * tracemark-only (exportFilter refuses a ledger bound to an engine spec).
 */
import {
  createSpecSampler,
  type EngineKey,
  type EngineSpec,
  type engines,
  type SparseDistribution,
} from '@tracemark/watermark';

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

/** The listed candidates of a sparse distribution (its rest left out), for an engine sampler. */
export function listedCandidates(d: SparseDistribution): EngineDistribution {
  return { ids: d.ids, probs: d.probs };
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
