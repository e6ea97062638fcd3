/**
 * Engine schemes in the benchmark: the watermarks serving engines put in text (vLLM,
 * SGLang, HF transformers; packages/watermark/src/engines/), embedded through the
 * engine samplers (createSpecSampler) on the reference model and detected through the
 * same Detector as tracemark's own schemes (an engine spec, version 2).
 *
 * Descriptors are the engine scheme names with the engines' defaults, e.g. `vllm/gumbel`,
 * `sglang/gumbel`, `hf/kgw` (V = the o200k_base vocabulary), `hf/synthid` (30 keys, n = 5).
 * Keys: generateEngineKey with bytes from SHA-256("tracemark/bench/engine-key/v1" ‖ seed
 * ‖ id ‖ counter), so the same seed gives the same keys. Not secrets.
 *
 * What the engine sampler sees at a step (as in `tracemark serve` with an engine spec,
 * packages/serve/src/server/engine.ts): the model's sparse distribution at the step's
 * temperature. With probability the mass of its unlisted tail (on the reference model
 * ~4 % at temperature 0.7, ~30 % at temperature 1) the token is drawn plainly from the
 * tail and the sampler is stepped with that one token (its context and dedup state advance
 * as the engine's would); otherwise the engine samples among the listed candidates. Tokens
 * keep the model's distribution for the distortion-free engines; tail positions carry no
 * watermark, so the engine rows are, if anything, conservative (tracemark's own samplers
 * watermark the tail exactly).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { usage, vocabSizeOf } from '@tracemark/detector';
import { decode, type LanguageModel } from '@tracemark/lm';
import {
  createSpecSampler,
  generateEngineKey,
  parseEngineSpec,
  seededRng,
  type EngineKey,
  type EngineSpec,
  type EngineSpecInput,
} from '@tracemark/watermark';
import { ENCODING, type Sample } from './generate.js';

/** A benchmark scheme that is an engine's watermark. */
export interface EngineSchemeSetting {
  id: string;
  label: string;
  /** The engine block of its spec (engine defaults filled in by parseEngineSpec). */
  engine: EngineSpecInput['engine'];
}

const ENGINE_SCHEMES: Record<string, { label: string; engine: () => EngineSpecInput['engine'] }> = {
  'vllm/gumbel': { label: 'vLLM gumbel (Philox, w=4)', engine: () => ({ scheme: 'vllm/gumbel' }) },
  'vllm/dual_key_gumbel': { label: 'vLLM dual-key gumbel (α=0.1, w=4)', engine: () => ({ scheme: 'vllm/dual_key_gumbel' }) },
  'vllm/red_green': { label: 'vLLM red_green (γ=0.25 δ=2, w=4)', engine: () => ({ scheme: 'vllm/red_green' }) },
  'vllm/synthid': { label: 'vLLM synthid (L=32, w=4)', engine: () => ({ scheme: 'vllm/synthid' }) },
  'vllm/sbw': { label: 'vLLM SBW (selfhash, γ=0.5 δ=2)', engine: () => ({ scheme: 'vllm/sbw' }) },
  'sglang/gumbel': { label: 'SGLang gumbel (h=4)', engine: () => ({ scheme: 'sglang/gumbel' }) },
  'hf/kgw': { label: 'HF KGW (lefthash, γ=0.25 δ=2)', engine: () => ({ scheme: 'hf/kgw', vocabSize: vocabSizeOf(ENCODING)! }) },
  'hf/synthid': { label: 'HF SynthID (30 keys, n=5)', engine: () => ({ scheme: 'hf/synthid', depth: 30 }) },
  'synthid-text/synthid': { label: 'SynthID-Text (30 keys, n=5, top-k 40)', engine: () => ({ scheme: 'synthid-text/synthid', depth: 30 }) },
};

export const ENGINE_SCHEME_IDS = Object.keys(ENGINE_SCHEMES);

/** An engine descriptor (contains "/") → its setting; undefined for tracemark's own descriptors. */
export function parseEngineScheme(desc: string): EngineSchemeSetting | undefined {
  const id = desc.trim();
  if (!id.includes('/')) return undefined;
  const e = ENGINE_SCHEMES[id];
  if (!e) {
    const why = id === 'lm-watermarking/kgw' ? ' (embedding lm-watermarking is not implemented: its lefthash is hf/kgw)' : '';
    throw usage(`--schemes: unknown engine scheme ${JSON.stringify(id)}${why} (engine schemes: ${ENGINE_SCHEME_IDS.join(', ')})`);
  }
  return { id, label: e.label, engine: e.engine() };
}

/** Deterministic bytes: SHA-256(label ‖ counter) blocks. */
function byteStream(label: string): (n: number) => Uint8Array {
  let buf = new Uint8Array(0);
  let counter = 0;
  return (n) => {
    while (buf.length < n) {
      const block = sha256(new TextEncoder().encode(`${label}\u0000${counter++}`));
      const next = new Uint8Array(buf.length + block.length);
      next.set(buf);
      next.set(block, buf.length);
      buf = next;
    }
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
}

/** The spec of an engine scheme under a key (id bench/<scheme>). */
export function benchEngineSpec(s: EngineSchemeSetting, keyFingerprint: string): EngineSpec {
  return parseEngineSpec({ version: 2, id: `bench/${s.id}`, tokenizer: ENCODING, engine: s.engine, keyFingerprint });
}

/** The benchmark key of an engine scheme under a seed (`name`: the scheme id, or "<id>#recheck-<j>"). */
export function benchEngineKey(seed: number, s: EngineSchemeSetting, name: string = s.id): EngineKey {
  const draft = benchEngineSpec(s, '0'.repeat(32));
  return generateEngineKey(draft.engine, byteStream(`tracemark/bench/engine-key/v1\u0000${seed}\u0000${name}`));
}

/**
 * One sample of exactly T tokens with an engine's watermark: a fresh sampler (keyed on /
 * deduplicated against the prompt where the engine does), the model's listed candidates
 * at each step, ordinary draws from `seed` (the model must not end texts: use withoutEos).
 */
export function generateEngineSample(model: LanguageModel, spec: EngineSpec, key: EngineKey, prompt: number[], T: number, seed: string, temperature: number): Sample {
  const sampler = createSpecSampler(spec, key, prompt);
  const rng = seededRng(seed);
  const ctx = new Uint32Array(prompt.length + T);
  ctx.set(prompt);
  let len = prompt.length;
  const tokens: number[] = [];
  while (tokens.length < T) {
    const d = model.distribution(ctx, len, { temperature });
    const fromTail = d.restMass > 0 && d.sampleRest !== undefined && rng() < d.restMass;
    const r = fromTail ? sampler.step({ ids: [d.sampleRest!(rng)], probs: [1] }, rng) : sampler.step({ ids: d.ids, probs: d.probs }, rng);
    ctx[len++] = r.token;
    tokens.push(r.token);
  }
  return { prompt, tokens, text: decode(ENCODING, tokens) };
}
