/**
 * Detection from token ids through the Detector: every engine scheme next to tracemark's
 * own SipHash schemes in the same run (issue 11's target: within 2× of SipHash, HMAC
 * reported). Ids → exact p with dedup, plus the engine's own statistic.
 *
 *   node --conditions=source --import tsx packages/detector/bench/engines-detect.ts [--tokens N]
 */
import { buildSpec, generateEngineKey, generateKey, parseEngineSpec, seededRng, type EngineSpecInput } from '@tracemark/watermark';
import { Detector } from '../src/index.js';

const N = Number(process.argv[process.argv.indexOf('--tokens') + 1] || 20000);
const rng = seededRng('bench/engines-detect');

function timeIt(f: () => void, minMs = 400): number {
  f(); // warm-up
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) (f(), runs++);
  return (performance.now() - t0) / runs;
}

interface Row { scheme: string; vocab: number; tokS: number; withEngineTokS: number | null }
const rows: Row[] = [];
for (const vocab of [32000, 151936]) {
  const ids = Array.from({ length: N }, () => Math.floor(rng() * vocab));
  for (const name of ['kgw', 'gumbel', 'synthid'] as const) {
    const key = generateKey();
    const spec = buildSpec({ scheme: name }, key.fingerprint);
    const d = new Detector(spec, key);
    const ms = timeIt(() => d.detectTokens(ids));
    rows.push({ scheme: `tracemark ${name} (SipHash)`, vocab, tokS: N / (ms / 1000), withEngineTokS: null });
  }
  const engines: EngineSpecInput['engine'][] = [
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
  for (const engine of engines) {
    const spec0 = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine, keyFingerprint: '0'.repeat(32) });
    const key = generateEngineKey(spec0.engine);
    const spec = { ...spec0, keyFingerprint: key.fingerprint };
    const d = new Detector(spec, key);
    const reader = d.engineReader!;
    const ms = timeIt(() => d.engineReader && (d as unknown as { scorer: { score(t: number[]): unknown } }).scorer.score(ids));
    const msAll = timeIt(() => d.detectTokens(ids));
    void reader;
    const label = engine.scheme + ('prf' in engine && engine.prf ? ` (${engine.prf})` : '') + ('dualKey' in engine && engine.dualKey ? ' (dual key)' : '') + ('seeding' in engine && engine.seeding ? ` (${engine.seeding})` : '');
    rows.push({ scheme: label, vocab, tokS: N / (ms / 1000), withEngineTokS: N / (msAll / 1000) });
  }
}
const base = new Map(rows.filter((r) => r.scheme.startsWith('tracemark kgw')).map((r) => [r.vocab, r.tokS]));
console.log(`detection from ids, ${N} random tokens per text, one thread`);
console.log('| scheme | vocab | exact p (tok/s) | ÷ SipHash kgw | + engine statistic (tok/s) |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.scheme} | ${r.vocab} | ${Math.round(r.tokS).toLocaleString('en')} | ${(base.get(r.vocab)! / r.tokS).toFixed(2)}× slower | ${r.withEngineTokS === null ? '—' : Math.round(r.withEngineTokS).toLocaleString('en')} |`);
}
