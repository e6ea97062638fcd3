/**
 * Is a supervised window filter still a valid test? (docs/SERVE.md §6, the table "filter by
 * window, never by pair"). A provider serves watermarked responses and records their windows;
 * on held-out human text (no watermark) each distinct (window, token) tuple is scored once
 * across the corpus, and the green rate is counted over all tuples, the tuples whose window
 * was served, and among those the tuples whose (window, token) pair was served and was not.
 * Under a valid filter the rate stays γ; a pair filter selects the tokens the generator chose
 * because they were green.
 *
 *   node --conditions=source --import tsx packages/serve/scripts/filter-validity.ts [--responses 1500] [--keys 3] [--write]
 *
 * --write: docs/serve-filter-validity.json (the raw counts) and the table in docs/SERVE.md
 * between its filter-validity markers (a test checks the page against the file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { humanText, promptSet } from '@tracemark/corpora';
import { generateTextSync, referenceModel, tiktoken } from '@tracemark/lm';
import { Embedder, parseSpec, seededRng, Watermark, WatermarkKey } from '@tracemark/watermark';
import { FILTER_VALIDITY_BEGIN, FILTER_VALIDITY_END, renderFilterValidity, type FilterValidity } from './filter-validity-doc.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: number): number => (argv.includes(n) ? Number(argv[argv.indexOf(n) + 1]) : d);
const RESPONSES = opt('--responses', 1500);
const KEYS = opt('--keys', 3);
const TOKENS = 64;
const H = 2;
const GAMMA = 0.25;

const model = referenceModel();
const enc = tiktoken('o200k_base');
const human = humanText({ split: 'heldout' }).map((d) => enc.encode_ordinary(d.text));
const prompts = promptSet(RESPONSES, 41);
const t0 = performance.now();
const keys: FilterValidity['keys'] = [];
for (let k = 0; k < KEYS; k++) {
  const rng = seededRng(`filter-validity/key/${k}`);
  const key = new WatermarkKey(Uint8Array.from({ length: 32 }, () => Math.floor(rng() * 256)));
  const spec = parseSpec({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: GAMMA, delta: 2 }, context: { width: H, mode: 'left' }, payload: null, keyFingerprint: key.fingerprint });
  const wm = new Watermark(spec, key);
  const embedder = new Embedder(wm);
  // the provider's ledger: every served window, and every served (window, token) pair
  const windows = new Set<string>(), pairs = new Set<string>();
  const seed = { hi: 0, lo: 0 };
  for (let i = 0; i < RESPONSES; i++) {
    const g = generateTextSync({ model, watermark: embedder, prompt: prompts[i]!, maxTokens: TOKENS, seed: `filter-validity/${k}/${i}` });
    const all = [...g.promptTokens, ...g.tokens];
    for (let p = g.promptTokens.length; p < all.length; p++) {
      if (!wm.windowSeed(all, p, seed)) continue;
      const w = `${seed.hi},${seed.lo}`;
      windows.add(w);
      pairs.add(`${w},${all[p]}`);
    }
  }
  // human text, each distinct (window, token) tuple once across the corpus
  const seen = new Set<string>();
  const rows = { all: [0, 0], window: [0, 0], pair: [0, 0], windowNotPair: [0, 0] };
  for (const toks of human) {
    for (let p = H; p < toks.length; p++) {
      if (!wm.windowSeed(toks, p, seed)) continue;
      const w = `${seed.hi},${seed.lo}`;
      const tuple = `${w},${toks[p]}`;
      if (seen.has(tuple)) continue;
      seen.add(tuple);
      const green = wm.isGreen(seed, toks[p]!) ? 1 : 0;
      const add = (r: number[]): void => {
        r[0]!++;
        r[1]! += green;
      };
      add(rows.all);
      if (!windows.has(w)) continue;
      add(rows.window);
      add(pairs.has(tuple) ? rows.pair : rows.windowNotPair);
    }
  }
  keys.push({ servedWindows: windows.size, ...Object.fromEntries(Object.entries(rows).map(([n, [t, g]]) => [n, { tuples: t!, green: g! }])) } as FilterValidity['keys'][number]);
  process.stderr.write(`key ${k}: ${windows.size} served windows, ${rows.all[0]} human tuples\n`);
}
const result: FilterValidity = {
  responses: RESPONSES,
  tokensPerResponse: TOKENS,
  contextWidth: H,
  gamma: GAMMA,
  humanDocuments: human.length,
  seconds: Math.round((performance.now() - t0) / 1000),
  load: loadavg()[0]!,
  keys,
};
const table = renderFilterValidity(result);
process.stdout.write(`${table}\n`);
if (argv.includes('--write')) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  writeFileSync(`${root}docs/serve-filter-validity.json`, `${JSON.stringify(result, null, 1)}\n`);
  const doc = readFileSync(`${root}docs/SERVE.md`, 'utf8');
  const a = doc.indexOf(FILTER_VALIDITY_BEGIN), b = doc.indexOf(FILTER_VALIDITY_END);
  if (a < 0 || b < a) throw new Error('docs/SERVE.md has no filter-validity markers');
  writeFileSync(`${root}docs/SERVE.md`, `${doc.slice(0, a + FILTER_VALIDITY_BEGIN.length)}\n${table}\n${doc.slice(b)}`);
  process.stderr.write('wrote docs/serve-filter-validity.json and docs/SERVE.md\n');
}

