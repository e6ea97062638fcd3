/**
 * Checks that the o200k tokenizer.json (o200k-tokenizer.ts) encodes and decodes like tiktoken
 * on held-out human text, loaded the way the ONNX adapter loads it (transformers.js, local
 * files only). A student directory is only as good as this agreement: prompts must encode to
 * the ids the student was trained on, and replies decode to the bytes of its ids.
 *
 *   node --conditions=source --import tsx packages/investigate/scripts/neural/check-tokenizer.ts <dir> [docs]
 */
import { humanText } from '@tracemark/corpora';
import { encode, decode, loadLocalTokenizer } from '@tracemark/lm';
import { writeO200kTokenizer } from './o200k-tokenizer.js';

export async function checkO200kTokenizer(dir: string, docs = 200): Promise<{ docs: number; tokens: number; encodeMismatches: number; decodeMismatches: number }> {
  const tok = await loadLocalTokenizer(dir);
  let tokens = 0, encodeMismatches = 0, decodeMismatches = 0;
  for (const d of humanText({ split: 'heldout' }).slice(0, docs)) {
    const want = Array.from(encode('o200k_base', d.text));
    const got = tok.encode(d.text, { add_special_tokens: false });
    tokens += want.length;
    if (want.length !== got.length || want.some((t, i) => t !== got[i])) encodeMismatches++;
    if (tok.decode(want, { skip_special_tokens: false }) !== decode('o200k_base', want)) decodeMismatches++;
  }
  return { docs, tokens, encodeMismatches, decodeMismatches };
}

if (process.argv[1]?.endsWith('check-tokenizer.ts')) {
  const dir = process.argv[2] ?? 'experiments/neural-students/work/tokenizer';
  const t0 = performance.now();
  writeO200kTokenizer(dir);
  process.stderr.write(`wrote ${dir} in ${Math.round(performance.now() - t0)} ms\n`);
  process.stdout.write(`${JSON.stringify(await checkO200kTokenizer(dir, Number(process.argv[3] ?? 200)))}\n`);
}
