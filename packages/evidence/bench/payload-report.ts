/**
 * Scoring an evidence report under a payload spec: the cost of the evidence curves
 * (the pooled payload p-value after each response, for our key and every decoy).
 * Human responses (held-out corpus documents), so every pooled test is a null one.
 *
 *   node --conditions=source --import tsx packages/evidence/bench/payload-report.ts [--responses N] [--decoys D]
 */
import { loadavg } from 'node:os';
import { humanText } from '@tracemark/corpora';
import { parseSpec, seededRng, WatermarkKey } from '@tracemark/watermark';
import { scoreEvidence, type SuspectInput } from '../src/index.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg('--responses', 200);
const D = arg('--decoys', 20);
const docs = humanText({ split: 'heldout' });
const rng = seededRng('bench/payload-report');
const key = new WatermarkKey(Uint8Array.from({ length: 32 }, () => Math.floor(rng() * 256)));
const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 32, digitBits: 2 }, keyFingerprint: key.fingerprint });
const suspect = (name: string, offset: number): SuspectInput => ({
  name,
  transcript: `${name}.jsonl`,
  transcriptSha256: '0'.repeat(64),
  records: Array.from({ length: N }, (_, i) => {
    const text = docs[(offset + i) % docs.length]!.text.slice(0, 1200);
    return { promptId: `q${i}`, prompt: `prompt ${i}`, given: [`prompt ${i}`], response: text, line: i + 1 };
  }),
});
const t0 = performance.now();
const s = scoreEvidence(spec, key, 'bench', [suspect('a', 0), suspect('b', N)], { alpha: 1e-6, decoys: D, decoySeed: 'ab'.repeat(32), heatmap: 2, heatmapTokens: 200 });
const ms = performance.now() - t0;
console.log(`| responses | decoys | suspects | pooled scored (a) | log10 p (a) | method | seconds | load |`);
console.log(`|---:|---:|---:|---:|---:|---|---:|---|`);
const a = s.suspects[0]!;
console.log(`| ${N} | ${D} | 2 | ${a.pooled.scored} | ${a.pooled.log10P.toFixed(2)} | ${a.pooled.payload?.method} | ${(ms / 1000).toFixed(1)} | ${loadavg().map((x) => x.toFixed(2)).join(' ')} |`);
