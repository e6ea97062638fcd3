/**
 * Our own model's fresh watermarked answers (the spec's key) to prompts: what the built-in
 * unsupervised filter takes its windows from and what the open-model test teacher-forces a
 * suspect on. Deterministic: answer r to prompt p draws from seededRng(`${label}/${seed}/${p}/${r}`).
 */
import { failure, firstLine } from '@tracemark/detector';
import { loadServedModel } from '@tracemark/serve';
import { Embedder, seededRng, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';

export interface FreshAnswerOptions {
  /** 'builtin' (the reference model) or an ONNX model directory. */
  model: string;
  responsesPerPrompt: number;
  maxTokens: number;
  temperature: number;
  seed: number;
  /** The rng label's prefix (which experiment the answers are for). */
  label: string;
  /** How a failed model load is described: "cannot load <what>: …". */
  what: string;
}

/** One answer: prompt and answer tokens, the answer starting at `start`. */
export interface FreshAnswer {
  tokens: Uint32Array;
  start: number;
}

export async function freshAnswers(spec: WatermarkSpec, key: WatermarkKey, prompts: readonly string[], o: FreshAnswerOptions): Promise<FreshAnswer[]> {
  let model;
  try {
    model = await loadServedModel(o.model, spec);
  } catch (e) {
    throw failure(`cannot load ${o.what}: ${firstLine(e)}`);
  }
  const embedder = new Embedder(new Watermark(spec, key));
  const out: FreshAnswer[] = [];
  try {
    for (let p = 0; p < prompts.length; p++) {
      const prompt = model.encode(prompts[p]!);
      for (let r = 0; r < o.responsesPerPrompt; r++) {
        const rng = seededRng(`${o.label}/${o.seed}/${p}/${r}`);
        const limit = Math.min(prompt.length + o.maxTokens, model.maxContext ?? Infinity);
        const ctx = new Uint32Array(Math.max(limit, prompt.length));
        ctx.set(prompt);
        let len = prompt.length;
        while (len < limit) {
          const step = await model.step(embedder, ctx, len, { temperature: o.temperature, topP: 1 }, rng);
          if (model.eos !== undefined && step.token === model.eos) break;
          ctx[len++] = step.token;
        }
        out.push({ tokens: ctx.subarray(0, len), start: prompt.length });
      }
    }
  } finally {
    await model.dispose();
  }
  return out;
}
