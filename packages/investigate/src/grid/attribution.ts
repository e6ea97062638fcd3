/**
 * Attribution (section 3 of docs/RADIOACTIVITY.md): a provider with many accounts, a few
 * of them harvesting; payload = account id. Which accounts do leaked texts and clones
 * name (attributeLeaks / attributeClone of @tracemark/detector), with what precision?
 */
import { humanText, promptSet } from '@tracemark/corpora';
import { attributeClone, attributeLeaks, countPayload, planTest, precisionRecall, Scorer, windowHashesOf } from '@tracemark/detector';
import { distil, encode, generateTextSync, type HarvestedResponse } from '@tracemark/lm';
import { Embedder, seededRng, Watermark } from '@tracemark/watermark';
import { keyFor, specFor } from './definition.js';
import { probe, tokensOf, type GridSimulation } from './simulation.js';
import type { AttributionResult, CloneRow, LeakRow } from './types.js';

export function runAttribution(sim: GridSimulation): AttributionResult {
  const t0 = performance.now();
  const A = sim.sizes.attribution;
  const key = keyFor('attribution');
  const spec = specFor('kgw', 2, key, true);
  const wm = new Watermark(spec, key);
  const rng = seededRng('attribution/harvesters');
  const ids = Array.from({ length: A.accounts }, (_, i) => i + 1);
  const harvesters = new Set<number>();
  while (harvesters.size < A.harvesters) harvesters.add(ids[Math.floor(rng() * ids.length)]!);
  const name = (id: number): string => `acct-${id}`;
  const truth = [...harvesters].map(name);
  const embedders = new Map<number, Embedder>();
  const emb = (id: number): Embedder => {
    let e = embedders.get(id);
    if (!e) embedders.set(id, (e = new Embedder(wm, { message: BigInt(id) })));
    return e;
  };
  // Traffic: every account gets a few answers; harvesters many more. The ledger = windows per account.
  const prompts = promptSet(A.accounts * A.innocentResponses + A.harvesters * A.harvesterResponses, 23);
  let p = 0;
  const windows = new Map<number, { promptTokens: number[]; tokens: number[] }[]>();
  const harvestOf = new Map<number, HarvestedResponse[]>();
  for (const id of ids) {
    const h = harvesters.has(id);
    const n = h ? A.harvesterResponses : A.innocentResponses;
    const list: { promptTokens: number[]; tokens: number[] }[] = [];
    const hv: HarvestedResponse[] = [];
    for (let r = 0; r < n; r++) {
      const prompt = prompts[p++]!;
      const g = generateTextSync({ model: sim.teacher(), watermark: emb(id), prompt, maxTokens: h ? A.harvesterTokens : A.innocentTokens, seed: `traffic/${id}/${r}` });
      list.push({ promptTokens: g.promptTokens, tokens: g.tokens });
      if (h) hv.push({ account: id, promptIndex: p - 1, prompt, text: g.text, tokens: g.tokens, promptTokens: g.promptTokens, watermarkedSteps: g.watermarkedSteps });
    }
    windows.set(id, list);
    if (h) harvestOf.set(id, hv);
  }
  sim.log(`attribution: traffic for ${A.accounts} accounts generated`);
  const accounts = ids.map((id) => ({ account: name(id), id, windows: windowHashesOf(wm, windows.get(id)!) }));
  // Leaked texts: each harvester leaks long answers; plus human texts (no watermark).
  const scorer = new Scorer(spec, key);
  const counts = (tokens: ArrayLike<number>) => {
    const r = scorer.score(tokens, { payload: true });
    return countPayload(wm, r.payloadPos!, r.payloadColour!);
  };
  const cal = humanText({ split: 'calibration' }).map((d) => d.text);
  const leaks: LeakRow[] = [];
  for (const L of A.leakTokens) {
    const leakPrompts = promptSet(A.harvesters * A.leaksPerHarvester, 29);
    const texts: { id: string; counts: ReturnType<typeof counts>; truth: string | null }[] = [];
    let lp = 0;
    for (const id of harvesters) {
      for (let k = 0; k < A.leaksPerHarvester; k++) {
        const g = generateTextSync({ model: sim.teacher(), watermark: emb(id), prompt: leakPrompts[lp++]!, maxTokens: L, seed: `leak/${id}/${k}` });
        texts.push({ id: `leak-${id}-${k}`, counts: counts(encode('o200k_base', g.text)), truth: name(id) });
      }
    }
    for (let i = 0; i < A.humanLeaks; i++) {
      const toks = encode('o200k_base', cal[i % cal.length]!).slice(0, L);
      texts.push({ id: `human-${i}`, counts: counts(toks), truth: null });
    }
    const leak = attributeLeaks(wm, texts, { candidates: ids.map((id) => ({ account: name(id), id })), alpha: A.alpha });
    const pr = precisionRecall(leak.named.map((x) => x.account!), truth);
    let right = 0, wrong = 0, humanNamed = 0;
    leak.texts.forEach((t, i) => {
      if (!t.named) return;
      const tr = texts[i]!.truth;
      if (tr === null) humanNamed++;
      if (t.best?.account === tr) right++;
      else wrong++;
    });
    const sc = texts.filter((t) => t.truth !== null).map((t) => t.counts.scored);
    leaks.push({
      leakTokens: L,
      texts: texts.length,
      harvesterTexts: A.harvesters * A.leaksPerHarvester,
      humanTexts: A.humanLeaks,
      hypotheses: leak.hypotheses,
      method: leak.method,
      named: pr.named,
      truePositives: pr.truePositives,
      precision: pr.precision,
      recall: pr.recall,
      textsNamedCorrectly: right,
      textsNamedWrongly: wrong,
      humanNamed,
      meanScored: sc.length ? Math.round(sc.reduce((x, y) => x + y, 0) / sc.length) : 0,
    });
    sim.log(`attribution: leaks of ${L} tokens: ${pr.truePositives}/${truth.length}, precision ${pr.precision}`);
  }
  // Clones: a student of all harvesters' answers (ρ = 1), of one harvester's answers, and an innocent (human-only) student.
  const probePrompts = promptSet(A.cloneQueries, 99);
  const clones: CloneRow[] = [];
  const one = [...harvesters][0]!;
  const allTokens = tokensOf([...harvesters].flatMap((id) => harvestOf.get(id)!));
  for (const [label, members] of [
    [`all ${A.harvesters} harvesters' answers`, [...harvesters]],
    ['one harvester\'s answers', [one]],
    ['human text only (innocent control)', []],
  ] as const) {
    const hv = members.flatMap((id) => harvestOf.get(id)!);
    const trainingTokens = members.length ? tokensOf(hv) : allTokens;
    const model = distil({ harvested: hv, humanText: sim.human(), rho: members.length ? 1 : 0, trainingTokens, seed: 3 }).model;
    const c = attributeClone({ spec, key, items: probe(model, probePrompts, A.cloneTokens, 7), accounts, alpha: A.alpha });
    const guilty = members.map(name);
    const pr = precisionRecall(c.named, guilty);
    const hs = c.accounts.filter((x) => guilty.includes(x.account));
    const sc = hs.map((x) => x.scored).sort((x, y) => x - y);
    const rates = hs.filter((x) => x.scored > 0).map((x) => x.score / x.scored).sort((x, y) => x - y);
    const rate = rates.length ? rates[Math.floor(rates.length / 2)]! : null;
    let need: number | null = null;
    if (rate !== null && rate > wm.gammaEff) need = planTest({ nullModel: { kind: 'binomial', p: wm.gammaEff, trialsPerToken: 1 }, q: rate, alpha: A.alpha / A.accounts, power: 0.9 }).tokens.exact;
    clones.push({
      clone: label,
      harvesters: members.length,
      queries: A.cloneQueries,
      exclusivePositions: c.exclusivePositions,
      named: pr.named,
      truePositives: pr.truePositives,
      precision: pr.precision,
      recall: members.length ? pr.recall : null,
      medianHarvesterScored: sc[Math.floor(sc.length / 2)] ?? 0,
      medianHarvesterRate: rate,
      tuplesNeeded: need,
    });
    sim.log(`attribution: clone of ${label}: named ${c.named.length}, true ${pr.truePositives}`);
  }
  return { spec: 'KGW γ 0.25 δ 2, h = 2, payload 16 bits (digits of 2 bits)', accounts: A.accounts, harvesters: A.harvesters, leaks, clones, seconds: (performance.now() - t0) / 1000 };
}
