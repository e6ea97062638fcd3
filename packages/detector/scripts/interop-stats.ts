/**
 * The numbers behind docs/INTEROP.md: how the engines' own detectors and tracemark's exact
 * p-values behave on text that carries no watermark, and how accurate the engines' p-value
 * formulas are in the tails.
 *
 *   node --conditions=source --import tsx packages/detector/scripts/interop-stats.ts [--quick] [--write]
 *   … interop-stats.ts --markdown-only   (the generated sections of docs/INTEROP.md again from the JSON)
 *
 * 1. False positives by simulation: human documents (@tracemark/corpora, calibration split,
 *    o200k_base ids; engines read ids, so any tokenizer is a fair null; HF KGW and lm-watermarking
 *    read r50k_base ids, as their cost is γ·V MT19937 draws per distinct seed) under seeded random
 *    engine keys (generateEngineKey), each scheme at its defaults, through the Detector: the
 *    engine's own verdict at its own default threshold and tracemark's exact p at the same
 *    nominal level, per document, with 95 % Clopper–Pearson intervals. Three inputs: the
 *    documents as they are, each document concatenated with itself, and boilerplate (a
 *    document's first 64 tokens repeated 5 times).
 * 2. Tails of the engines' formulas at equal counts: HF's approximate p and the normal tail
 *    (SBW, lm-watermarking) against the exact binomial tail; vLLM dual key's moment-matched
 *    Gamma against the exact null of its fused statistic (numerical integration, checked by
 *    simulation).
 * 3. SGLang's 32-bit context hash: distinct 4-token contexts sharing a hash in the corpus.
 * With --write: docs/interop-stats.json and the generated sections of docs/INTEROP.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { humanText } from '@tracemark/corpora';
import { engines, generateEngineKey, parseEngineSpec, seededRng, type EngineSpecInput } from '@tracemark/watermark';
import { binomialUpperTailLog, clopperPearson, Detector, gammaUpperTailLog, Tokenizer, writeFileAtomic } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const JSON_PATH = join(root, 'docs/interop-stats.json');
const DOC_PATH = join(root, 'docs/INTEROP.md');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const R50K_VOCAB = 50257;
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]! : null;
const SKIP_TAILS = args.includes('--fpr-only');

// ---------------------------------------------------------------- false positives
interface SchemeCase {
  label: string;
  engine: EngineSpecInput['engine'];
  /** The engine's own default rule, in its words. */
  rule: string;
  /** Nominal level of that rule (tracemark's exact p is compared at this level). */
  alpha: number;
  /** Engine verdict when its statistic has no verdict of its own (SGLang: p ≤ 0.01). */
  verdict?: (p: number | null) => boolean | null;
  keys: number;
  /** Keys for the doubled documents (default: keys). */
  doubledKeys?: number;
  /** Documents per key (slow PRFs read a prefix of the corpus). */
  docs?: number;
  /** Token ids of another tiktoken encoding (HF KGW's cost is γ·V MT19937 draws per seed: r50k_base, V = 50,257). */
  tokenizer?: 'r50k_base';
}

const NORMAL_SF_3 = engines.normalSf(3);
const NORMAL_SF_4 = engines.normalSf(4);
const CASES: SchemeCase[] = [
  { label: 'vLLM gumbel (Philox)', engine: { scheme: 'vllm/gumbel' }, rule: 'p ≤ 0.01 (Gamma tail)', alpha: 0.01, keys: 10, doubledKeys: 3 },
  { label: 'vLLM dual_key_gumbel (α = 0.1)', engine: { scheme: 'vllm/dual_key_gumbel' }, rule: 'p ≤ 0.01 (moment-matched Gamma)', alpha: 0.01, keys: 10, doubledKeys: 3 },
  { label: 'vLLM red_green (γ = 0.25)', engine: { scheme: 'vllm/red_green' }, rule: 'p ≤ 0.01 (exact binomial)', alpha: 0.01, keys: 10, doubledKeys: 3 },
  { label: 'vLLM synthid (depth 32)', engine: { scheme: 'vllm/synthid' }, rule: 'p ≤ 0.01 (exact binomial)', alpha: 0.01, keys: 10, doubledKeys: 3 },
  { label: 'vLLM sbw selfhash (γ = 0.5)', engine: { scheme: 'vllm/sbw' }, rule: 'p ≤ 0.01 (normal tail of z)', alpha: 0.01, keys: 10, doubledKeys: 3 },
  { label: 'SGLang Aaronson-Gumbel (h = 4)', engine: { scheme: 'sglang/gumbel' }, rule: 'p ≤ 0.01 (Gamma tail; SGLang reports p, no verdict)', alpha: 0.01, verdict: (p) => (p === null ? null : p <= 0.01), keys: 10, doubledKeys: 3 },
  { label: 'HF KGW lefthash (γ = 0.25, r50k ids)', engine: { scheme: 'hf/kgw', vocabSize: R50K_VOCAB }, rule: 'z > 3', alpha: NORMAL_SF_3, keys: 1, docs: 400, tokenizer: 'r50k_base' },
  { label: 'lm-watermarking lefthash (γ = 0.25, r50k ids)', engine: { scheme: 'lm-watermarking/kgw', vocabSize: R50K_VOCAB }, rule: 'z > 4', alpha: NORMAL_SF_4, keys: 1, docs: 400, tokenizer: 'r50k_base' },
  { label: 'HF SynthID (30 keys, n = 5)', engine: { scheme: 'hf/synthid', depth: 30 }, rule: 'none (trained Bayesian detector)', alpha: 0.01, keys: 2, doubledKeys: 1 },
  { label: 'synthid-text (30 keys, n = 5)', engine: { scheme: 'synthid-text/synthid', depth: 30 }, rule: 'none (trained Bayesian detector)', alpha: 0.01, keys: 1, docs: 600 },
];

const VARIANTS = ['documents', 'doubled', 'boilerplate ×5'] as const;
type Variant = (typeof VARIANTS)[number];

function variantDocs(docs: readonly Uint32Array[], v: Variant): Uint32Array[] {
  if (v === 'documents') return docs.slice();
  if (v === 'doubled') {
    return docs.map((d) => {
      const out = new Uint32Array(2 * d.length);
      out.set(d, 0);
      out.set(d, d.length);
      return out;
    });
  }
  return docs.map((d) => {
    const part = d.subarray(0, 64);
    const out = new Uint32Array(5 * part.length);
    for (let r = 0; r < 5; r++) out.set(part, r * part.length);
    return out;
  });
}

interface Rate { count: number; tests: number; rate: number; ci95: [number, number] }
interface FprRow {
  scheme: string;
  engineScheme: string;
  tokenizer: string;
  variant: Variant;
  rule: string;
  alpha: number;
  keys: number;
  documents: number;
  tests: number;
  engine: Rate | null;
  tracemark: Rate;
  /** Mean positions scored per document: the engine's count and tracemark's (its dedup). */
  meanScoredEngine: number;
  meanScoredTracemark: number;
  seconds: number;
}

function rate(count: number, tests: number): Rate {
  const ci = clopperPearson(count, tests, 0.95);
  return { count, tests, rate: count / tests, ci95: [ci.lower, ci.upper] };
}

function keyBytes(seed: string): (n: number) => Uint8Array {
  const rng = seededRng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

function fprRows(corpora: Record<'o200k_base' | 'r50k_base', readonly Uint32Array[]>): FprRow[] {
  const rows: FprRow[] = [];
  for (const c of CASES) {
    if (ONLY && !c.label.includes(ONLY)) continue;
    for (const variant of VARIANTS) {
      const t0 = performance.now();
      const docs = corpora[c.tokenizer ?? 'o200k_base'];
      // boilerplate is cheap for every scheme (64 distinct windows per document): all documents
      const limit = variant === 'boilerplate ×5' ? docs.length : (c.docs ?? docs.length);
      const base = docs.slice(0, QUICK ? Math.min(limit, 200) : limit);
      const vdocs = variantDocs(base, variant);
      const keys = QUICK ? 1 : variant === 'doubled' ? (c.doubledKeys ?? c.keys) : c.keys;
      let eng = 0, engTests = 0, tm = 0, tests = 0, sE = 0, sT = 0;
      const lnAlpha = Math.log(c.alpha);
      // A fresh key per test (document × repetition), as calibrate.ts does: tests are then
      // independent and the binomial interval is valid (one key over many documents is not:
      // documents share (seed, token) pairs, so their verdicts under one key are correlated).
      for (let k = 0; k < keys; k++) {
        for (let i = 0; i < vdocs.length; i++) {
          const spec0 = parseEngineSpec({ version: 2, tokenizer: c.tokenizer ?? 'o200k_base', engine: c.engine, keyFingerprint: '0'.repeat(32) });
          const key = generateEngineKey(spec0.engine, keyBytes(`interop-stats/${c.label}/${variant}/${k}/${i}`));
          const d = new Detector({ ...spec0, keyFingerprint: key.fingerprint }, key);
          const r = d.detectTokens(vdocs[i]!);
          tests++;
          if (r.lnP <= lnAlpha) tm++;
          sT += r.scored;
          const e = r.engine!;
          sE += e.scored;
          const v = e.watermarked ?? (c.verdict ? c.verdict(e.pValue) : null);
          if (v !== null) {
            engTests++;
            if (v) eng++;
          }
        }
      }
      const row: FprRow = {
        scheme: c.label,
        engineScheme: c.engine.scheme,
        tokenizer: c.tokenizer ?? 'o200k_base',
        variant,
        rule: c.rule,
        alpha: c.alpha,
        keys,
        documents: base.length,
        tests,
        engine: engTests > 0 ? rate(eng, engTests) : null,
        tracemark: rate(tm, tests),
        meanScoredEngine: sE / tests,
        meanScoredTracemark: sT / tests,
        seconds: (performance.now() - t0) / 1000,
      };
      rows.push(row);
      console.error(`${c.label} / ${variant}: ${tests} tests, engine ${row.engine ? `${row.engine.count}` : '—'}, tracemark ${tm}, ${row.seconds.toFixed(1)} s`);
    }
  }
  return rows;
}

// ---------------------------------------------------------------- binomial tails
interface TailRow { formula: string; gamma: number; n: number; zTarget: number; greens: number; z: number; engineP: number; exactP: number; ratio: number }

function tailRows(): TailRow[] {
  const rows: TailRow[] = [];
  const forms: { formula: string; gamma: number; p: (z: number) => number }[] = [
    { formula: 'HF KGW (0.5·exp(−2z²/π))', gamma: 0.25, p: engines.hfRoughP },
    { formula: 'lm-watermarking (normal tail)', gamma: 0.25, p: engines.normalSf },
    { formula: 'vLLM sbw (normal tail)', gamma: 0.5, p: engines.normalSf },
  ];
  for (const f of forms) {
    for (const n of [50, 200, 1000, 10000]) {
      for (const zt of [3, 4, 5, 6]) {
        const sd = Math.sqrt(n * f.gamma * (1 - f.gamma));
        const g = Math.ceil(f.gamma * n + zt * sd - 1e-9);
        if (g > n) continue;
        const z = (g - f.gamma * n) / sd;
        const engineP = f.p(z);
        const exactP = Math.exp(binomialUpperTailLog(g, n, f.gamma));
        rows.push({ formula: f.formula, gamma: f.gamma, n, zTarget: zt, greens: g, z, engineP, exactP, ratio: engineP / exactP });
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------- vLLM dual key
interface DualKeyRow { alphaMix: number; n: number; level: number; threshold: number; trueRate: number; simulated: { count: number; tests: number } | null; ratio: number }

/** P[(1−a)X + aY ≥ s], X, Y iid Gamma(n, 1): ∫ f_Y(y) Q(n, (s − a y)/(1 − a)) dy (Simpson on the bulk of Y). */
function fusedTail(n: number, a: number, s: number): number {
  const lo = Math.max(0, n - 40 * Math.sqrt(n) - 20), hi = Math.min(s / a, n + 60 * Math.sqrt(n) + 60);
  const steps = 4000;
  const h = (hi - lo) / steps;
  const lnGn = engines.logGamma(n);
  const f = (y: number) => {
    if (y <= 0) return 0;
    const lnPdf = (n - 1) * Math.log(y) - y - lnGn;
    const x = (s - a * y) / (1 - a);
    return Math.exp(lnPdf + (x <= 0 ? 0 : gammaUpperTailLog(n, x)));
  };
  let acc = f(lo) + f(hi);
  for (let i = 1; i < steps; i++) acc += (i % 2 ? 4 : 2) * f(lo + i * h);
  const beyond = hi < s / a ? 0 : Math.exp(gammaUpperTailLog(n, s / a)); // Y alone past s/a: X ≥ 0 suffices
  return (acc * h) / 3 + beyond;
}

/** The S at which vLLM's p = gammaincc(n/v, S/v) equals `level` (bisection; p falls with S). */
function dualKeyThreshold(n: number, a: number, level: number): number {
  const v = (1 - a) ** 2 + a ** 2;
  let lo = 0, hi = n + 60 * Math.sqrt(n) + 200;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (engines.gammaincc(n / v, mid / v) > level) lo = mid;
    else hi = mid;
  }
  return hi;
}

function dualKeyRows(): DualKeyRow[] {
  const rows: DualKeyRow[] = [];
  const rng = seededRng('interop-stats/dual-key');
  const exp1 = () => -Math.log1p(-rng());
  for (const a of [0.1, 0.3]) {
    for (const n of [10, 50, 200, 1000]) {
      // simulation check of the integral at α = 1e-2 (one set of sums serves every level)
      const sims = QUICK ? 2000 : n <= 50 ? 200_000 : n <= 200 ? 50_000 : 10_000;
      const sums = new Float64Array(sims);
      for (let t = 0; t < sims; t++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (1 - a) * exp1() + a * exp1();
        sums[t] = s;
      }
      for (const level of [1e-2, 1e-3, 1e-4]) {
        const thr = dualKeyThreshold(n, a, level);
        const trueRate = fusedTail(n, a, thr);
        let c = 0;
        for (const s of sums) if (s >= thr) c++;
        rows.push({ alphaMix: a, n, level, threshold: thr, trueRate, simulated: { count: c, tests: sims }, ratio: trueRate / level });
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------- SGLang context hash
interface CollisionStats { documents: number; positions: number; distinctContexts: number; distinctHashes: number; collidingHashes: number; expectedCollidingPairs: number; distinctTuples: number; tuplesSharingHashAndToken: number; documentsWithinDocCollision: number }

function sglangCollisions(docs: readonly Uint32Array[]): CollisionStats {
  const h = 4;
  const ctxByHash = new Map<number, string>();
  const colliding = new Set<number>();
  const contexts = new Set<string>();
  const tuples = new Set<string>();
  const hashTok = new Set<string>();
  let positions = 0, withinDoc = 0;
  const w = new Uint32Array(h);
  for (const d of docs) {
    const local = new Map<number, string>();
    let hit = false;
    for (let i = h; i < d.length; i++) {
      for (let j = 0; j < h; j++) w[j] = d[i - h + j]!;
      const ctx = `${w[0]},${w[1]},${w[2]},${w[3]}`;
      const hc = engines.murmur3Words(w) >>> 0;
      positions++;
      contexts.add(ctx);
      tuples.add(`${ctx};${d[i]}`);
      hashTok.add(`${hc};${d[i]}`);
      const prev = ctxByHash.get(hc);
      if (prev === undefined) ctxByHash.set(hc, ctx);
      else if (prev !== ctx) colliding.add(hc);
      const lp = local.get(hc);
      if (lp === undefined) local.set(hc, ctx);
      else if (lp !== ctx) hit = true;
    }
    if (hit) withinDoc++;
  }
  const m = contexts.size;
  return {
    documents: docs.length,
    positions,
    distinctContexts: m,
    distinctHashes: ctxByHash.size,
    collidingHashes: colliding.size,
    expectedCollidingPairs: (m * (m - 1)) / 2 / 2 ** 32,
    distinctTuples: tuples.size,
    tuplesSharingHashAndToken: tuples.size - hashTok.size,
    documentsWithinDocCollision: withinDoc,
  };
}

// ---------------------------------------------------------------- output
interface Results {
  generated: string;
  quick: boolean;
  corpus: { split: string; tokenizer: string; documents: number; tokens: number };
  falsePositives: FprRow[];
  tails: TailRow[];
  dualKey: DualKeyRow[];
  sglangHash: CollisionStats;
  seconds: number;
}

const sci = (x: number, d = 2) => (x === 0 ? '0' : x >= 0.01 && x < 1000 ? x.toPrecision(d + 1).replace(/\.?0+$/, '') : x.toExponential(d).replace('e', 'e'));
const pct = (r: Rate) => `${r.count} / ${r.tests.toLocaleString('en')} = ${(100 * r.rate).toFixed(2)} % [${(100 * r.ci95[0]).toFixed(2)}, ${(100 * r.ci95[1]).toFixed(2)}]`;

export function markdown(r: Results): { fpr: string; tails: string } {
  const f: string[] = [];
  f.push(`Corpus: ${r.corpus.documents.toLocaleString('en')} human documents (${r.corpus.split} split, ${r.corpus.tokens.toLocaleString('en')} ${r.corpus.tokenizer} tokens); one test = one document under its own seeded random engine key (tests are independent). Rates with 95 % Clopper–Pearson intervals. *doubled*: each document followed by itself; *boilerplate ×5*: a document's first 64 tokens repeated 5 times. "scored": mean positions per document the engine's detector counts vs tracemark's (its dedup on what the PRF reads).${r.quick ? ' **Quick run (--quick): small samples.**' : ''}`);
  f.push('');
  f.push("| scheme | input | engine's rule (nominal level) | engine's false positives | tracemark exact p ≤ same level | scored: engine / tracemark |");
  f.push('|---|---|---|---|---|---|');
  for (const x of r.falsePositives) {
    f.push(`| ${x.scheme} | ${x.variant} | ${x.rule} (${sci(x.alpha)}) | ${x.engine ? pct(x.engine) : '— (no verdict)'} | ${pct(x.tracemark)} | ${x.meanScoredEngine.toFixed(0)} / ${x.meanScoredTracemark.toFixed(0)} |`);
  }
  const t: string[] = [];
  t.push("Binomial green counts: the engine's p at the smallest count reaching z ≥ target, against the exact binomial tail P[Bin(n, γ) ≥ G] (tracemark's). Ratio > 1: the engine is conservative there; < 1: it claims more than the data show.");
  t.push('');
  t.push('| formula | γ | n | z target | G | z | engine p | exact p | engine / exact |');
  t.push('|---|---|---|---|---|---|---|---|---|');
  for (const x of r.tails) t.push(`| ${x.formula} | ${x.gamma} | ${x.n} | ${x.zTarget} | ${x.greens} | ${x.z.toFixed(3)} | ${sci(x.engineP)} | ${sci(x.exactP)} | ${sci(x.ratio)} |`);
  t.push('');
  t.push("vLLM dual_key_gumbel: the true probability that vLLM's moment-matched p (`gammaincc(n/v, S/v)`) falls at or below a level when no watermark is present, S = Σ (1−α)·s_A + α·s_B over n distinct contexts (exact by numerical integration; the simulated count of the same event beside it).");
  t.push('');
  t.push('| α (mixing) | n | level | true P[p ≤ level] | ÷ level | simulated |');
  t.push('|---|---|---|---|---|---|');
  for (const x of r.dualKey) t.push(`| ${x.alphaMix} | ${x.n} | ${sci(x.level)} | ${sci(x.trueRate)} | ${x.ratio.toFixed(2)} | ${x.simulated ? `${x.simulated.count} / ${x.simulated.tests.toLocaleString('en')}` : '—'} |`);
  t.push('');
  const s = r.sglangHash;
  t.push(`SGLang's 32-bit context hash over the corpus (4-token contexts, keyless): ${s.positions.toLocaleString('en')} positions, ${s.distinctContexts.toLocaleString('en')} distinct contexts, ${s.collidingHashes} hash values shared by two or more distinct contexts (≈ ${s.expectedCollidingPairs.toFixed(0)} expected, m²/2³³); ${s.tuplesSharingHashAndToken} distinct (context, token) pairs share both hash and token with another, i.e. would be scored twice with the same score if pooled; documents with such a collision inside them: ${s.documentsWithinDocCollision} of ${s.documents.toLocaleString('en')}.`);
  return { fpr: f.join('\n'), tails: t.join('\n') };
}

function splice(doc: string, name: string, body: string): string {
  const begin = `<!-- generated:${name} begin (packages/detector/scripts/interop-stats.ts --write) -->`;
  const end = `<!-- generated:${name} end -->`;
  const i = doc.indexOf(begin), j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/INTEROP.md has no "${begin}" … "${end}" block`);
  return doc.slice(0, i + begin.length) + '\n' + body + '\n' + doc.slice(j);
}

function writeDoc(r: Results): void {
  const m = markdown(r);
  let doc = readFileSync(DOC_PATH, 'utf8');
  doc = splice(doc, 'fpr', m.fpr);
  doc = splice(doc, 'tails', m.tails);
  writeFileAtomic(DOC_PATH, doc);
}

function main(): void {
  if (args.includes('--markdown-only')) {
    writeDoc(JSON.parse(readFileSync(JSON_PATH, 'utf8')) as Results);
    return;
  }
  const t0 = performance.now();
  const tk = new Tokenizer('o200k_base');
  const texts = humanText({ split: 'calibration' });
  const docs = texts.map((d) => tk.encode(d.text).tokens);
  tk.dispose();
  const tk50 = new Tokenizer('r50k_base');
  const docs50 = texts.map((d) => tk50.encode(d.text).tokens);
  tk50.dispose();
  const tokens = docs.reduce((a, d) => a + d.length, 0);
  const tails = SKIP_TAILS ? [] : tailRows();
  const dualKey = SKIP_TAILS ? [] : dualKeyRows();
  console.error(`tails done, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sglangHash = sglangCollisions(docs);
  const falsePositives = fprRows({ o200k_base: docs, r50k_base: docs50 });
  const r: Results = {
    generated: new Date().toISOString().slice(0, 10),
    quick: QUICK,
    corpus: { split: 'calibration', tokenizer: 'o200k_base', documents: docs.length, tokens },
    falsePositives,
    tails,
    dualKey,
    sglangHash,
    seconds: (performance.now() - t0) / 1000,
  };
  const m = markdown(r);
  console.log(m.fpr + '\n\n' + m.tails);
  console.log(`\n${r.seconds.toFixed(0)} s`);
  if (args.includes('--write')) {
    writeFileSync(JSON_PATH, JSON.stringify(r, null, 1) + '\n');
    writeDoc(r);
  }
}

main();
