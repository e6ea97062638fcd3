/**
 * Serving a suspect model without a watermark through the same OpenAI-compatible
 * server code as the provider (serve/server.ts), unchanged: a ServedModel whose step
 * ignores the embedder and draws from the model's own distribution (lm's drawSparse).
 * The server still wants a Watermark (it hashes windows for its ledger); suspects get a
 * throwaway one with a fresh random key and no ledger, so nothing of the provider's key
 * is involved and the sampled text is the plain model's.
 */
import { drawSparse, encode, StreamDecoder, type LanguageModel } from '@tracemark/lm';
import { generateKey, parseSpec, Watermark, type WatermarkSpec } from '@tracemark/watermark';
import type { ServedModel } from '@tracemark/serve';

export function unwatermarkedServedModel(model: LanguageModel, id: string = model.id): ServedModel {
  const enc = model.tokenizer;
  if (enc.startsWith('hf:')) throw new Error('unwatermarkedServedModel: tiktoken models only');
  return {
    id,
    kind: 'builtin',
    tokenizer: enc,
    eos: model.eos,
    maxContext: model.maxContext,
    preferredConcurrency: 4,
    encode: (text) => encode(enc, text),
    decoder: () => new StreamDecoder(enc),
    step: (_embedder, ctx, len, s, rng) => drawSparse(model.distribution(ctx, len, { temperature: s.temperature, topP: s.topP }), rng),
    dispose: async () => {},
  };
}

/** A Watermark under a fresh random key (for the server's ledger bookkeeping only; never applied). */
export function throwawayWatermark(like: WatermarkSpec): Watermark {
  const key = generateKey();
  return new Watermark(parseSpec({ ...like, keyFingerprint: key.fingerprint }), key);
}
