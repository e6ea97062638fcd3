/**
 * Watermarking inside transformers.js's own `model.generate()` with
 * WatermarkLogitsProcessor (@tracemark/lm), then detecting the text (@tracemark/detector):
 *
 *   node --conditions=source --import tsx packages/lm/examples/logits-processor.ts
 *
 * The model is a tiny ONNX causal LM written to a temporary directory by
 * writeTinyCausalLM (nothing is downloaded); point `loadTransformersCausalLM` at your
 * own exported model directory instead (docs/OWN-MODEL.md). The spec's tokenizer is
 * `hf:<that directory>`, so the detector tokenizes text with the model's own
 * tokenizer.json. The same prompt is generated twice, with and without the
 * processor: only the first text carries the watermark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreTrainedModel, Tensor } from '@huggingface/transformers';
import { Detector } from '@tracemark/detector';
import { loadTransformersCausalLM, WatermarkLogitsProcessor } from '@tracemark/lm';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { generateKey, parseSpec, Watermark } from '@tracemark/watermark';

const root = mkdtempSync(join(tmpdir(), 'tracemark-logits-processor-'));
try {
  const dir = join(root, 'tiny-lm');
  await writeTinyCausalLM(dir, { vocabSize: 256, hidden: 16, seed: 7 });
  // Local files only: transformers.js's remote loading is switched off.
  const { model, tokenizer } = await loadTransformersCausalLM(dir);

  const key = generateKey();
  const spec = parseSpec({
    version: 1,
    tokenizer: `hf:${dir}`,
    scheme: { name: 'kgw', gamma: 0.25, delta: 3 },
    context: { width: 1, mode: 'left' },
    keyFingerprint: key.fingerprint,
  });
  const watermark = new Watermark(spec, key);

  const prompt = 'ba ke di mo su';
  const inputs = tokenizer(prompt, { add_special_tokens: false }) as { input_ids: Tensor; attention_mask: Tensor };
  const promptLength = inputs.input_ids.dims[1]!;

  /** 200 new tokens sampled by transformers.js (top_k: 0 keeps the spec's order: bias, then sample). */
  async function generate(processor?: WatermarkLogitsProcessor): Promise<{ text: string; ids: number[] }> {
    const out = (await model.generate({
      ...inputs,
      max_new_tokens: 200,
      do_sample: true,
      top_k: 0,
      ...(processor ? { logits_processor: [processor] } : {}),
    } as Parameters<PreTrainedModel['generate']>[0])) as Tensor;
    const ids = (out.tolist() as bigint[][])[0]!.slice(promptLength).map(Number);
    return { text: tokenizer.decode(ids, { skip_special_tokens: true }), ids };
  }

  const processor = new WatermarkLogitsProcessor(watermark); // KGW: 'bias' mode, δ added to the green logits
  const marked = await generate(processor);
  const plain = await generate();
  await model.dispose();

  const detector = new Detector(spec, key);
  const report = (label: string, r: { scored: number; log10P: number }): void => {
    console.log(`${label}: ${r.scored} tuples scored, p = ${(10 ** r.log10P).toPrecision(3)}`);
  };
  console.log(`watermarked (${processor.steps} steps): ${marked.text.slice(0, 60)}…`);
  report('watermarked text', detector.detect(marked.text, { prompt }));
  report('watermarked ids', detector.detectTokens(marked.ids));
  report('unwatermarked text', detector.detect(plain.text, { prompt }));
  detector.dispose();
} finally {
  rmSync(root, { recursive: true, force: true });
}
