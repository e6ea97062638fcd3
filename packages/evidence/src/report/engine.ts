/**
 * Engine specs (version 2) in evidence bundles: the scheme named as the engine names it,
 * tracemark's exact test described from the reader's null model, and the engine's own
 * detector run over a suspect's pooled evidence — reported beside tracemark's exact p,
 * never instead of it.
 */
import { engineContextWidth, type EngineReader, type EngineScheme, type EngineStatistic, type NullModel } from '@tracemark/watermark';

const FAMILY: Record<string, string> = {
  vllm: 'vLLM',
  sglang: 'SGLang',
  hf: 'HF transformers',
  'lm-watermarking': 'lm-watermarking',
  'synthid-text': 'SynthID-Text',
};
const PRF: Record<string, string> = { philox: 'Philox', philox_legacy: 'Philox, legacy', hmac_sha256: 'HMAC-SHA256' };

/** "vLLM gumbel (Philox), context width 4": the engine, its algorithm and the parameters that change scores. */
export function engineSchemeSummary(e: EngineScheme): string {
  const slash = e.scheme.indexOf('/');
  const name = `${FAMILY[e.scheme.slice(0, slash)] ?? e.scheme.slice(0, slash)} ${e.scheme.slice(slash + 1)}`;
  let params: string;
  switch (e.scheme) {
    case 'vllm/gumbel':
      params = PRF[e.prf] ?? e.prf;
      break;
    case 'vllm/dual_key_gumbel':
      params = `Philox, α = ${e.alpha}`;
      break;
    case 'vllm/red_green':
      params = `Philox, γ = ${e.gamma}, δ = ${e.delta}`;
      break;
    case 'vllm/synthid':
      params = `Philox, depth ${e.depth}`;
      break;
    case 'vllm/sbw':
      params = `${e.seeding} seeding${e.seeding === 'lefthash' ? ` (${e.lefthashRule} rule)` : ''}, γ = ${e.gamma}, δ = ${e.delta}`;
      break;
    case 'sglang/gumbel':
      params = e.dualKey ? `dual key, mixing probability ${e.mixingProbability}` : 'single key';
      break;
    case 'hf/kgw':
      params = `${e.seeding} seeding, greenlist ratio ${e.greenlistRatio}, bias ${e.bias}, vocabulary ${e.vocabSize}`;
      break;
    case 'lm-watermarking/kgw':
      params = `${e.seeding} seeding, γ = ${e.gamma}, δ = ${e.delta}, vocabulary ${e.vocabSize}`;
      break;
    case 'hf/synthid':
    case 'synthid-text/synthid':
      params = `depth ${e.depth}, n-gram length ${e.ngramLen}`;
      break;
  }
  return `${name} (${params}), context width ${engineContextWidth(e)}`;
}

/** tracemark's exact pooled test under the reader's null model, in words. */
export function engineTestDescription(e: EngineScheme, nm: NullModel): string {
  const who = engineSchemeSummary(e);
  if (nm.kind === 'gamma') return `${who}: per-token score −ln(1 − u) ~ Exp(1) without the key's influence; S = Σ scores ~ Gamma(n, 1); p = Q(n, S) (upper regularized gamma), exact`;
  if (nm.trialsPerToken > 1) return `${who}: S = Σ g-values ~ Binomial(${nm.trialsPerToken}·n, ${nm.p}); p = P(S ≥ s), exact`;
  return `${who}: S = green tokens ~ Binomial(n, γ = ${nm.p}); p = P(S ≥ s) = I_γ(s, n − s + 1), exact`;
}

/** How the engine statistic of a suspect is computed (recorded in scores.json). */
export const ENGINE_STATISTIC_METHOD =
  "the engine's own detector, run once over the suspect's responses concatenated in transcript order (prompts not given to it), with the engine's own dedup rule; shown beside tracemark's exact p, which is the one relied on";

/** The engine's statistic over a suspect's pooled responses (see ENGINE_STATISTIC_METHOD). */
export function pooledEngineStatistic(reader: EngineReader, responses: readonly ArrayLike<number>[]): EngineStatistic {
  const all: number[] = [];
  for (const r of responses) for (let i = 0; i < r.length; i++) all.push(r[i]!);
  return reader.engineStatistic(all);
}

/** The engine statistic in one sentence (what it is, its dedup rule, and that the exact p is the one relied on). */
export function engineStatisticText(s: EngineStatistic): string {
  const p = s.pValue === null ? 'the engine has no p-value for it' : s.pValue === 0 ? "the engine's p underflows to 0 in double precision" : `the engine's p = ${s.pValue.toPrecision(3)}`;
  const z = s.z === null ? '' : `, z = ${s.z.toFixed(2)}`;
  const verdict = s.watermarked === null ? '' : `; the engine's verdict at its default threshold: ${s.watermarked ? 'watermarked' : 'not watermarked'}`;
  return (
    `The engine's own statistic (${FAMILY[s.engine] ?? s.engine}'s detector, not tracemark's test): ${s.name}; ` +
    `${s.scored.toLocaleString('en-US')} positions scored under the engine's dedup rule, statistic ${Number(s.statistic.toPrecision(6))}${z}; ${p}${verdict}. ` +
    "It is computed over the suspect's responses concatenated in transcript order. The p-value relied on is tracemark's exact p above " +
    '(each (context, token) pair once per suspect, prompt contexts excluded).'
  );
}
