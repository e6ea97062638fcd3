/**
 * An engine's watermark, written and read back (runnable):
 *   node --conditions=source --import tsx packages/watermark/examples/engine-watermark.ts
 *
 * A vLLM `--watermark-config '{"algorithm":"gumbel","key":…}'` as a tracemark engine spec, a
 * fresh 64-bit key, 200 tokens written by vLLM's own sampling rule from a toy distribution,
 * then read back: the engine's own statistic and tracemark's per-position readings.
 */
import { createEngineReader, createSpecSampler, generateEngineKey, parseEngineSpec, seededRng } from '@tracemark/watermark';

const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel', contextWidth: 4 }, keyFingerprint: '0'.repeat(32) });
const key = generateEngineKey(spec0.engine);
const spec = { ...spec0, keyFingerprint: key.fingerprint }; // a spec names its key by fingerprint only

const sampler = createSpecSampler(spec, key);
const rng = seededRng('example');
const tokens: number[] = [];
for (let i = 0; i < 200; i++) {
  const prev = tokens.at(-1) ?? 0;
  const ids = Array.from({ length: 50 }, (_, r) => (r * 97 + prev * 31) % 32000);
  const probs = ids.map((_, r) => 1 / (r + 1));
  tokens.push(sampler.step({ ids, probs }, rng).token);
}

const reader = createEngineReader(spec, key);
const own = reader.engineStatistic(tokens);
const read = reader.read(tokens);
let sum = 0;
for (let i = 0; i < read.n; i++) sum += read.score[i]!;
console.log(`${own.engine}'s own detector: p = ${own.pValue?.toExponential(2)} over ${own.scored} positions (${own.watermarked ? 'watermarked' : 'not watermarked'})`);
console.log(`tracemark's scores: mean ${(sum / read.n).toFixed(2)} per position (1 under the null, Exp(1) each)`);
