/**
 * The engines' own detectors on the benchmark's texts (engine schemes only): how often
 * each engine's own statistic (watermark's createEngineReader: vLLM's, SGLang's, HF's
 * detector on the same token ids) calls a text watermarked — its verdict at its default
 * threshold, or where it gives only a p-value (SGLang) p ≤ 0.01; HF SynthID gives neither
 * (a mean score for a trained classifier), so its rate is null. Watermarked samples at
 * every length and temperature, and the human null texts at the longest length: the
 * emulation is readable by the engine itself, and the engine's verdict is not fooled by
 * human text. Detection is on the text re-tokenized, prompt ids passed.
 */
import type { Detector } from '@tracemark/detector';
import type { EngineStatistic } from '@tracemark/watermark';
import type { Sample } from './generate.js';
import type { BenchConfig, EngineOwnRow } from './types.js';

/** The engine's own call on one text: true / false, or null when it has no verdict and no p-value. */
export function engineCall(e: EngineStatistic): boolean | null {
  if (e.watermarked !== null) return e.watermarked;
  return e.pValue === null ? null : e.pValue <= 0.01;
}

function row(scheme: string, set: string, length: number, stats: EngineStatistic[]): EngineOwnRow {
  const calls = stats.map(engineCall);
  const decided = calls.filter((x) => x !== null);
  const rule = stats[0] ? (stats[0].watermarked !== null ? 'verdict' : stats[0].pValue !== null ? 'p ≤ 0.01' : 'none') : 'none';
  return {
    scheme,
    set,
    length,
    texts: stats.length,
    statistic: stats[0]?.name ?? '',
    rule,
    called: decided.filter((x) => x).length,
    rate: decided.length === 0 ? null : Math.round((decided.filter((x) => x).length / decided.length) * 1e4) / 1e4,
  };
}

export function engineOwnRows(c: BenchConfig, scheme: string, detector: Detector, marked: Sample[][], prompts: number[][], human: readonly string[]): EngineOwnRow[] {
  const reader = detector.engineReader;
  if (!reader) return [];
  const out: EngineOwnRow[] = [];
  const tokensOf = (text: string): Uint32Array => detector.tokenize(text).tokens;
  c.temperatures.forEach((temperature, ti) => {
    const toks = marked[ti]!.map((s) => tokensOf(s.text));
    for (const L of c.lengths) {
      const stats = toks.map((t, i) => reader.engineStatistic(Array.from(t.subarray(0, L)), { prompt: prompts[i]! }));
      out.push(row(scheme, `marked@${temperature}`, L, stats));
    }
  });
  const T = Math.max(...c.lengths);
  out.push(row(scheme, 'human', T, human.map((h) => reader.engineStatistic(Array.from(tokensOf(h).subarray(0, T))))));
  return out;
}
