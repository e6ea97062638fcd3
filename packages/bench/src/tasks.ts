/**
 * The benchmark's units of work. Each is a deterministic function of the
 * configuration and its arguments, so they can run in any order, in this
 * process or in worker threads (pool.ts), with the same results.
 *
 *   generateTask  one (scheme or plain, temperature): its samples and quality scores
 *   scoreTask     one scheme: detection at every length, nulls, size, attacks
 *   recheckTask   one null set of one scheme, re-tested with fresh keys (run.ts asks
 *                 for it when a null cell comes out anti-conservative)
 */
import { promptSet } from '@tracemark/corpora';
import { Detector, DetectorError, normalizeText, type ExclusionSet } from '@tracemark/detector';
import { encode, loadReferenceModel, type LanguageModel } from '@tracemark/lm';
import { Embedder, seededRng, Watermark, type EngineKey, type EngineSpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { generateEngineSample } from './engine-schemes.js';
import { attackId, attackParamLabel, describeAttack, llmAttack, runAttack } from './attacks/index.js';
import { cutTokens, humanChunks } from './corpus.js';
import { ENCODING, generateSample, withoutEos, type Sample } from './generate.js';
import { curveFromMarks, distinctN, fprVerdict, median, negLogLik, prefixLnP, quantile, ratesAt, sizes, type ProbModel, type RateAt } from './metrics.js';
import { benchKeyOf, benchSpecOf } from './schemes.js';
import { engineOwnRows } from './engine-own.js';
import type { AttackRow, BenchConfig, CopyPasteNullRow, DetectionRow, EngineOwnRow, FprRecheckRow, FprRow, SizeRow } from './types.js';

export type BenchModel = LanguageModel & ProbModel;

interface Context {
  model: BenchModel;
  sampler: LanguageModel;
  modelInfo: { id: string; order: number; vocabSize: number };
}

let ctx: Context | undefined;
let injected: BenchModel | undefined;

/** Use this model instead of the reference model (tests; in-process runs only). */
export function setBenchModel(m: BenchModel | undefined): void {
  injected = m;
  ctx = undefined;
}

export function benchContext(): Context {
  if (!ctx) {
    if (injected) {
      ctx = { model: injected, sampler: withoutEos(injected), modelInfo: { id: injected.id, order: 0, vocabSize: injected.vocabSize } };
    } else {
      const info = loadReferenceModel();
      ctx = { model: info.model, sampler: withoutEos(info.model), modelInfo: { id: info.model.id, order: info.model.order, vocabSize: info.model.vocabSize } };
    }
  }
  return ctx;
}

const memo = new Map<string, unknown>();
function cached<T>(key: string, f: () => T): T {
  if (!memo.has(key)) memo.set(key, f());
  return memo.get(key) as T;
}

export function prompts(c: BenchConfig): number[][] {
  return cached(`prompts:${c.samples}:${c.seed}`, () => promptSet(c.samples, c.seed).map((p) => Array.from(encode(ENCODING, p))));
}

export function tMax(c: BenchConfig): number {
  return Math.max(...c.lengths, c.attackLength);
}

export function humanNull(c: BenchConfig): string[] {
  return cached(`null:${tMax(c)}:${c.nullSamples}`, () => humanChunks('calibration', tMax(c), c.nullSamples));
}

export function usesCopyPaste(c: BenchConfig): boolean {
  return c.attacks.some((a) => a.name === 'copy-paste');
}

export function copyPasteHosts(c: BenchConfig): string[] {
  if (!usesCopyPaste(c)) return [];
  return cached(`hosts:${c.copyPasteTokens}:${c.samples}`, () => humanChunks('heldout', c.copyPasteTokens, Math.max(c.samples, 50)));
}

function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------

export interface GenerateArgs {
  /** Index into config.schemes, or -1 for plain (unwatermarked) text. */
  scheme: number;
  temperature: number;
}

export interface GenerateOutput extends GenerateArgs {
  samples: Sample[];
  quality: { nll: number; tokens: number; distinct2: number; distinct3: number };
  timing: { seconds: number; tokensPerSecond: number };
}

export function generateTask(c: BenchConfig, a: GenerateArgs): GenerateOutput {
  const { model, sampler } = benchContext();
  const T = tMax(c);
  // tracemark's schemes through the Embedder, engine schemes through their samplers
  const s = a.scheme >= 0 ? c.schemes[a.scheme]! : undefined;
  const key = s ? benchKeyOf(c.seed, s) : undefined;
  const embedder = s && !s.engine ? new Embedder(new Watermark(benchSpecOf(s, key!) as WatermarkSpec, key as WatermarkKey)) : undefined;
  const engine = s?.engine ? { spec: benchSpecOf(s, key!) as EngineSpec, key: key as EngineKey } : undefined;
  const t0 = performance.now();
  const samples = prompts(c).map((p, i) => {
    const seed = `${c.seed}:${a.temperature}:${i}`;
    return engine ? generateEngineSample(sampler, engine.spec, engine.key, p, T, seed, a.temperature) : generateSample(sampler, embedder, p, T, seed, a.temperature);
  });
  const seconds = (performance.now() - t0) / 1000;
  let nll = 0, tokens = 0, d2 = 0, d3 = 0;
  for (const s of samples) {
    const r = negLogLik(model, s.prompt, s.tokens);
    nll += r.nll;
    tokens += r.tokens;
    d2 += distinctN(s.tokens, 2);
    d3 += distinctN(s.tokens, 3);
  }
  const n = Math.max(1, samples.length);
  return {
    ...a,
    samples,
    quality: { nll, tokens, distinct2: d2 / n, distinct3: d3 / n },
    timing: { seconds: round(seconds, 3), tokensPerSecond: round(tokens / Math.max(seconds, 1e-9), 0) },
  };
}

// ---------------------------------------------------------------------------------------

export interface ScoreArgs {
  scheme: number;
  /** Watermarked samples of this scheme, per temperature (config order). */
  marked: Sample[][];
  /** Plain samples, per temperature (config order). */
  plain: Sample[][];
}

export interface ScoreOutput {
  scheme: number;
  detection: DetectionRow[];
  sanity: DetectionRow[];
  fpr: FprRow[];
  size: SizeRow[];
  attacks: AttackRow[];
  copyPasteNull: CopyPasteNullRow[];
  engineOwn: EngineOwnRow[];
  timing: { detectTokens: number; detectSeconds: number; tokensPerSecond: number; seconds: number };
}

const log10 = (lnP: number): number => lnP / Math.LN10;
export async function scoreTask(c: BenchConfig, a: ScoreArgs): Promise<ScoreOutput> {
  const t0 = performance.now();
  const s = c.schemes[a.scheme]!;
  const key = benchKeyOf(c.seed, s);
  const detector = new Detector(benchSpecOf(s, key), key);
  const nm = detector.nullModel;
  // Engine schemes keyed on the prompt (SGLang, HF KGW) read their first contexts from it.
  const promptOf = (i: number): { prompt?: number[] } => (s.engine ? { prompt: prompts(c)[i]! } : {});
  const T = tMax(c);
  const lnFprs = c.fprs.map(Math.log);
  const withVerdict = (rs: RateAt[]) => rs.map((r) => ({ ...r, verdict: fprVerdict(r, r.fpr) }));
  const out: ScoreOutput = { scheme: a.scheme, detection: [], sanity: [], fpr: [], size: [], attacks: [], copyPasteNull: [], engineOwn: [], timing: { detectTokens: 0, detectSeconds: 0, tokensPerSecond: 0, seconds: 0 } };
  try {
    const excl = prompts(c).map((p) => detector.exclusion([p]));
    const score = (ss: Sample[]) =>
      ss.map((smp, i) => {
        const m = detector.marks(smp.text, { exclude: excl[i]!, ...promptOf(i) });
        return { curve: curveFromMarks(m.flags, m.scores), offsets: m.charOffsets!, tokens: m.tokens.length };
      });
    const lengthRows = (temperature: number, scored: ReturnType<typeof score>): DetectionRow[] =>
      c.lengths.map((L) => {
        const lnPs = scored.map((x) => prefixLnP(nm, x.curve, L));
        const n = Math.max(1, scored.length);
        return {
          scheme: s.id,
          temperature,
          length: L,
          samples: scored.length,
          meanTokens: round(scored.reduce((acc, x) => acc + Math.min(L, x.tokens), 0) / n, 2),
          meanScored: round(scored.reduce((acc, x) => acc + x.curve.n[Math.min(L, x.tokens)]!, 0) / n, 2),
          medianLog10P: round(log10(median(lnPs)), 3),
          tpr: ratesAt(lnPs, c.fprs),
        };
      });

    let attackBase: { samples: Sample[]; scored: ReturnType<typeof score> } | undefined;
    c.temperatures.forEach((temperature, ti) => {
      const ss = a.marked[ti]!;
      const sc = score(ss);
      if (temperature === c.attackTemperature) attackBase = { samples: ss, scored: sc };
      out.detection.push(...lengthRows(temperature, sc));
      const per = sc.map((x) => sizes(nm, x.curve, T, lnFprs));
      out.size.push({
        scheme: s.id,
        temperature,
        horizon: T,
        samples: sc.length,
        alphas: c.fprs.map((alpha, k) => {
          const v = per.map((o) => o[k]!.size);
          const inf = v.map((x) => (x === null ? Infinity : x));
          const fin = (x: number): number | null => (Number.isFinite(x) ? round(x, 1) : null);
          return {
            alpha,
            median: fin(median(inf)),
            q1: fin(quantile(inf, 0.25)),
            q3: fin(quantile(inf, 0.75)),
            everDetected: round(per.filter((o) => o[k]!.ever).length / Math.max(1, per.length)),
            detectedAtHorizon: round(v.filter((x) => x !== null).length / Math.max(1, v.length)),
            sizes: v,
          };
        }),
      });
      // plain text of the same model with this scheme's key: the sanity row and the model null
      const rows = lengthRows(temperature, score(a.plain[ti]!));
      out.sanity.push(...rows);
      for (const r of rows) out.fpr.push({ scheme: s.id, nullSet: `model@${temperature}`, length: r.length, texts: r.samples, rows: withVerdict(r.tpr) });
    });

    // detection speed: whole-text detect() of every watermarked sample
    {
      const t = performance.now();
      let tokens = 0;
      for (const ss of a.marked) ss.forEach((x, i) => (tokens += detector.detect(x.text, { exclude: excl[i]!, ...promptOf(i) }).tokens));
      const secs = (performance.now() - t) / 1000;
      out.timing.detectTokens = tokens;
      out.timing.detectSeconds = round(secs, 3);
      out.timing.tokensPerSecond = round(tokens / Math.max(secs, 1e-9), 0);
    }

    out.engineOwn = engineOwnRows(c, s.id, detector, a.marked, prompts(c), humanNull(c)); // engine schemes: the engine's own detector
    // human null
    {
      const curves = humanNull(c).map((h) => curveFromMarks(...flagsScores(detector.marks(h))));
      for (const L of c.lengths) {
        const lnPs = curves.map((cv) => prefixLnP(nm, cv, L));
        out.fpr.push({ scheme: s.id, nullSet: 'human', length: L, texts: lnPs.length, rows: withVerdict(ratesAt(lnPs, c.fprs)) });
      }
    }

    // attacks
    if (c.attacks.length > 0) {
      if (!attackBase) throw new Error(`the attack temperature ${c.attackTemperature} is not one of the temperatures`);
      const { samples: ss, scored: sc } = attackBase;
      const base = ss.map((smp, i) => smp.text.slice(0, sc[i]!.offsets[Math.min(c.attackLength, sc[i]!.tokens)]!));
      const hosts = copyPasteHosts(c);
      const detectLnP = (text: string, ex: ExclusionSet | undefined): { lnP: number; tokens: number } => {
        try {
          const r = detector.detect(text, ex ? { exclude: ex } : {});
          return { lnP: r.lnP, tokens: r.tokens };
        } catch (e) {
          if (e instanceof DetectorError && e.code === 'EMPTY_TEXT') return { lnP: 0, tokens: 0 };
          throw e;
        }
      };
      const windowed = (text: string, ex: ExclusionSet | undefined): number => {
        try {
          return detector.localize(text, ex ? { exclude: ex } : {}).lnP;
        } catch (e) {
          if (e instanceof DetectorError && e.code === 'EMPTY_TEXT') return 0;
          throw e;
        }
      };
      for (const atk of c.attacks) {
        const id = attackId(atk);
        const lnPs: number[] = [], lnPsNorm: number[] = [], lnPsWin: number[] = [];
        let applied = 0, appliedN = 0, tokens = 0;
        for (let i = 0; i < ss.length; i++) {
          const rng = seededRng(`${c.seed}:attack:${id}:${i}`);
          let text: string;
          if (atk.name === 'paraphrase' || atk.name === 'translate') {
            if (!c.paraphrase) throw new Error(`attack ${atk.name} needs --paraphrase-url and --paraphrase-model`);
            const apiKey = process.env.TRACEMARK_PARAPHRASE_API_KEY;
            text = await llmAttack(base[i]!, { ...c.paraphrase, mode: atk.name, ...(apiKey ? { apiKey } : {}) }, rng);
          } else {
            const o =
              atk.name === 'copy-paste'
                ? runAttack(atk, ss[i]!.text, rng, { host: cutTokens(hosts[i % hosts.length]!, Math.round(c.copyPasteTokens * (1 - atk.fraction))) })
                : runAttack(atk, base[i]!, rng);
            text = o.text;
            if (o.eligible > 0) {
              applied += o.changed / o.eligible;
              appliedN++;
            }
          }
          const d = detectLnP(text, excl[i]!);
          lnPs.push(d.lnP);
          tokens += d.tokens;
          lnPsNorm.push(detectLnP(normalizeText(text), excl[i]!).lnP);
          if (atk.name === 'copy-paste') lnPsWin.push(windowed(text, excl[i]!));
        }
        const row: AttackRow = {
          attack: id,
          name: atk.name,
          description: describeAttack(atk.name),
          param: attackParamLabel(atk),
          scheme: s.id,
          samples: ss.length,
          appliedRate: atk.name === 'none' || appliedN === 0 ? null : round(applied / appliedN),
          meanTokens: round(tokens / Math.max(1, ss.length), 2),
          medianLog10P: round(log10(median(lnPs)), 3),
          tpr: ratesAt(lnPs, c.fprs),
          tprNormalized: ratesAt(lnPsNorm, c.fprs),
        };
        if (atk.name === 'copy-paste') {
          row.tprWindowed = ratesAt(lnPsWin, c.fprs);
          row.medianLog10PWindowed = round(log10(median(lnPsWin)), 3);
        }
        out.attacks.push(row);
      }
      if (usesCopyPaste(c)) {
        // the null of both copy-paste tests: whole human texts of the same total length
        const whole: number[] = [], win: number[] = [];
        let tokens = 0;
        for (const h of hosts) {
          const d = detectLnP(h, undefined);
          whole.push(d.lnP);
          tokens += d.tokens;
          win.push(windowed(h, undefined));
        }
        out.copyPasteNull.push({ scheme: s.id, texts: hosts.length, meanTokens: round(tokens / Math.max(1, hosts.length), 2), whole: withVerdict(ratesAt(whole, c.fprs)), windowed: withVerdict(ratesAt(win, c.fprs)) });
      }
    }
  } finally {
    detector.dispose();
  }
  out.timing.seconds = round((performance.now() - t0) / 1000, 3);
  return out;
}

function flagsScores(m: { flags: Uint8Array; scores: Float64Array }): [Uint8Array, Float64Array] {
  return [m.flags, m.scores];
}

// ---------------------------------------------------------------------------------------

export interface RecheckArgs {
  scheme: number;
  /** 'human', 'model@<temperature>', or the copy-paste hosts: 'hosts/whole' | 'hosts/windowed'. */
  nullSet: string;
  keys: number;
  /** The plain samples of that temperature (model null sets). */
  plain?: Sample[];
}

/**
 * The same null texts scored with `keys` fresh keys of the same scheme
 * (benchKey(seed, "<id>#recheck-<j>")): pooled over keys, the FPR of the test
 * itself rather than of one key. A flagged cell that is fine here was a property
 * of the one key drawn (or chance), not of the test.
 */
export function recheckTask(c: BenchConfig, a: RecheckArgs): FprRecheckRow {
  const s = c.schemes[a.scheme]!;
  const kind = a.nullSet === 'human' ? 'human' : a.nullSet.startsWith('model@') ? 'model' : a.nullSet === 'hosts/whole' || a.nullSet === 'hosts/windowed' ? 'hosts' : undefined;
  if (!kind) throw new Error(`unknown null set ${JSON.stringify(a.nullSet)}`);
  const texts = kind === 'human' ? humanNull(c) : kind === 'hosts' ? copyPasteHosts(c) : (a.plain ?? []).map((x) => x.text);
  const lengths = kind === 'hosts' ? [c.copyPasteTokens] : c.lengths;
  const lnPs = lengths.map(() => [] as number[]);
  for (let j = 0; j < a.keys; j++) {
    const key = benchKeyOf(c.seed, s, `${s.id}#recheck-${j}`);
    const det = new Detector(benchSpecOf(s, key), key);
    try {
      const excl = kind === 'model' ? prompts(c).map((p) => det.exclusion([p])) : [];
      texts.forEach((t, i) => {
        if (kind === 'hosts') {
          lnPs[0]!.push(a.nullSet === 'hosts/whole' ? det.detect(t).lnP : det.localize(t).lnP);
          return;
        }
        const m = det.marks(t, kind === 'model' ? { exclude: excl[i]!, ...(s.engine ? { prompt: prompts(c)[i]! } : {}) } : {});
        const curve = curveFromMarks(m.flags, m.scores);
        lengths.forEach((L, k) => lnPs[k]!.push(prefixLnP(det.nullModel, curve, L)));
      });
    } finally {
      det.dispose();
    }
  }
  return {
    scheme: s.id,
    nullSet: a.nullSet,
    keys: a.keys,
    texts: texts.length,
    lengths: lengths.map((L, k) => ({ length: L, rows: ratesAt(lnPs[k]!, c.fprs).map((r) => ({ ...r, verdict: fprVerdict(r, r.fpr) })) })),
  };
}

export type Task = { kind: 'generate'; args: GenerateArgs } | { kind: 'score'; args: ScoreArgs } | { kind: 'recheck'; args: RecheckArgs };

/** Run one task (in this thread). */
export async function runTask(c: BenchConfig, t: Task): Promise<unknown> {
  switch (t.kind) {
    case 'generate':
      return generateTask(c, t.args);
    case 'score':
      return scoreTask(c, t.args);
    case 'recheck':
      return recheckTask(c, t.args);
  }
}
