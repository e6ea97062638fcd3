/**
 * Detection from token ids through the Detector: every engine scheme next to tracemark's
 * own SipHash schemes in the same run (issue 11's target: within 2× of SipHash, HMAC
 * reported). 'exact p' times the Detector's scoring pass (ids → deduplicated per-position
 * scores and their sum, from which the exact p is a closed form), the same call for both
 * kinds of rows; '+ engine statistic' is the whole detectTokens call with the engine's own
 * statistic as well.
 *
 *   node --conditions=source --import tsx packages/detector/bench/engines-detect.ts [--tokens N]
 *
 * Two ratios per row, both slowdowns (1 = as fast): against tracemark's SipHash KGW, and
 * against the tracemark scheme that does the same work (like for like): a Gumbel scheme
 * against tracemark gumbel, a green list against tracemark kgw, SynthID at depth d against
 * tracemark synthid with d layers. Each cell is the best of the runs within its budget
 * (wall clock on a shared machine); the load average is printed with the table.
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { buildSpec, engines, generateEngineKey, generateKey, parseEngineSpec, seededRng, type EngineSpecInput } from '@tracemark/watermark';
import { Detector } from '../src/index.js';

const BUDGET_MS = 500;
const rng = seededRng('bench/engines-detect');

/**
 * Best milliseconds per call within the budget (after one warm-up call). Every call reads
 * a fresh text (made untimed), so nothing a reader remembers of the previous text (vLLM's
 * words for the engine statistic) and no green list HF KGW cached from it is reused;
 * `reset` runs untimed before each call too.
 */
function bestMs(fresh: () => number[], f: (ids: number[]) => void, reset: () => void = () => {}): number {
  f(fresh());
  let best = Infinity, runs = 0;
  const end = performance.now() + BUDGET_MS;
  do {
    const ids = fresh();
    reset();
    const t = performance.now();
    f(ids);
    best = Math.min(best, performance.now() - t);
    runs++;
  } while (performance.now() < end || runs < 3);
  return best;
}

type Own = 'kgw' | 'gumbel' | `synthid-${number}`;
interface Row { scheme: string; vocab: number; like: Own | null; tokS: number; withEngineTokS: number | null }

/** The tracemark scheme doing the same kind of work as an engine scheme. */
function likeOf(engine: EngineSpecInput['engine']): Own {
  switch (engine.scheme) {
    case 'vllm/gumbel':
    case 'vllm/dual_key_gumbel':
    case 'sglang/gumbel':
      return 'gumbel';
    case 'vllm/synthid':
      return `synthid-${engine.depth ?? 32}`;
    case 'hf/synthid':
    case 'synthid-text/synthid':
      return `synthid-${engine.depth}`;
    default:
      return 'kgw';
  }
}

/** The table: every engine scheme and tracemark's own, ids → exact p (and + the engine statistic). `pnpm bench engines-detect`. */
export function runEnginesDetectBench(o: { tokens?: number } = {}): void {
  const N = o.tokens ?? 20000;
  const rows: Row[] = [];
  const load0 = loadavg();
  for (const vocab of [32000, 151936]) {
    const fresh = (): number[] => Array.from({ length: N }, () => Math.floor(rng() * vocab));
    const own = (name: Own): void => {
      const key = generateKey();
      const spec = name.startsWith('synthid') ? buildSpec({ scheme: 'synthid', layers: Number(name.slice(8)) }, key.fingerprint) : buildSpec({ scheme: name as 'kgw' | 'gumbel' }, key.fingerprint);
      const d = new Detector(spec, key);
      rows.push({ scheme: `tracemark ${name.replace('-', ' ')} (SipHash)`, vocab, like: name, tokS: N / (bestMs(fresh, (ids) => d.scorer.score(ids)) / 1000), withEngineTokS: null });
    };
    for (const name of ['kgw', 'gumbel', 'synthid-30', 'synthid-32'] as const) own(name);
    const schemes: EngineSpecInput['engine'][] = [
      { scheme: 'vllm/gumbel' },
      { scheme: 'vllm/gumbel', prf: 'hmac_sha256' },
      { scheme: 'vllm/dual_key_gumbel' },
      { scheme: 'vllm/red_green' },
      { scheme: 'vllm/synthid' },
      { scheme: 'vllm/sbw' },
      { scheme: 'sglang/gumbel' },
      { scheme: 'sglang/gumbel', dualKey: true },
      { scheme: 'hf/kgw', vocabSize: vocab },
      { scheme: 'hf/kgw', vocabSize: vocab, seeding: 'selfhash', contextWidth: 4 },
      { scheme: 'lm-watermarking/kgw', vocabSize: vocab },
      { scheme: 'hf/synthid', depth: 30 },
      { scheme: 'synthid-text/synthid', depth: 30 },
    ];
    for (const engine of schemes) {
      const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
      const key = generateEngineKey(spec0.engine);
      const spec = { ...spec0, keyFingerprint: key.fingerprint };
      const d = new Detector(spec, key);
      // the scoring pass the exact p is computed from (as for tracemark's rows), then the whole detection with the engine's statistic
      // HF KGW / lm-watermarking: a cold green-list cache, as for a first text under a key
      const reset = engine.scheme === 'hf/kgw' || engine.scheme === 'lm-watermarking/kgw' ? engines.clearKgwGreenCache : undefined;
      const ms = bestMs(fresh, (ids) => d.scorer.score(ids), reset);
      const msAll = bestMs(fresh, (ids) => d.detectTokens(ids), reset);
      const label = engine.scheme + ('prf' in engine && engine.prf ? ` (${engine.prf})` : '') + ('dualKey' in engine && engine.dualKey ? ' (dual key)' : '') + ('seeding' in engine && engine.seeding ? ` (${engine.seeding})` : '');
      rows.push({ scheme: label, vocab, like: likeOf(engine), tokS: N / (ms / 1000), withEngineTokS: N / (msAll / 1000) });
    }
  }
  const load1 = loadavg();
  const ownTokS = (vocab: number, name: Own) => rows.find((r) => r.vocab === vocab && r.scheme.startsWith('tracemark') && r.like === name)!.tokS;
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  console.log(`detection from ids, ${N} random tokens per text, one thread, best of runs within ${BUDGET_MS} ms per cell`);
  console.log(`load average (1, 5, 15 min): ${load0.map((x) => x.toFixed(2)).join(', ')} at start, ${load1.map((x) => x.toFixed(2)).join(', ')} at end; ${cpus().length} cores`);
  console.log('| scheme | vocab | exact p (tok/s) | ÷ SipHash kgw | like for like | ÷ like | + engine statistic (tok/s) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const like = r.like ? ownTokS(r.vocab, r.like) / r.tokS : NaN;
    console.log(`| ${r.scheme} | ${r.vocab} | ${fmt(r.tokS)} | ${(ownTokS(r.vocab, 'kgw') / r.tokS).toFixed(2)} | ${r.like ? `tracemark ${r.like.replace('-', ' ')}` : '—'} | ${like.toFixed(2)} | ${r.withEngineTokS === null ? '—' : fmt(r.withEngineTokS)} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--tokens');
  runEnginesDetectBench({ tokens: i > 0 ? Number(process.argv[i + 1]) : 20000 });
}
