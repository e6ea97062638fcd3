/**
 * `tracemark detect`: per-text verdicts. Texts come from arguments, files (`-` = stdin),
 * JSONL files (`--field`), or stdin when nothing else is given; detectTexts
 * (@tracemark/detector) tests them. An argument that names an existing file or directory
 * is refused (exit 2): it was meant as --file.
 *
 * Each text gets the exact test of its scheme on its deduplicated (window, token)
 * tuples — windows of the text's prompt (`--prompt-field`, `--exclude`) excluded — and
 * the verdict "detected" when p ≤ α (default 1e-6, see io/args.ts). For zero-bit
 * specs the text is also scanned for watermarked spans (windowed tests, Bonferroni-
 * corrected over the windows scanned); spans are descriptive and do not change the
 * verdict. For specs with a payload the decoded id is reported, with its p-value
 * corrected over all ids.
 */
import { statSync } from 'node:fs';
import {
  Detector,
  detectTexts,
  type NormalizeMode,
  type TextItem,
  usage,
  readJsonlTexts,
  readStdin,
  readTextFile,
  loadAnyKey,
  loadAnySpec,
} from '@tracemark/detector';
import type { Command } from 'commander';
import { alphaFlag, collect } from '../io/args.js';
import { detectIdItems, readIdItems } from './detect-ids.js';
import { fmtLog10, printJson, println, warn } from '../io/output.js';
import type { DetectOutput } from '../schemas.js';

export interface DetectFlags {
  spec: string;
  key: string;
  file?: string[];
  jsonl?: string[];
  /** JSONL files of token ids (`ids`, optional `prompt_ids`, `id`). */
  ids?: string[];
  field: string;
  promptField?: string;
  exclude?: string[];
  alpha?: string;
  spans?: boolean;
  /** auto (default) | on | off */
  normalize?: string;
  json?: boolean;
}

/** --normalize: auto tests a text as given and normalised when normalisation changes it (smaller p, doubled). */
export function normalizeFlag(v: string | undefined): NormalizeMode {
  const m = v ?? 'auto';
  if (m === 'auto') return 'auto';
  if (m === 'on') return true;
  if (m === 'off') return false;
  throw usage(`--normalize must be auto, on or off (got ${JSON.stringify(v)})`);
}

export type { TextItem };

/** What a text argument names on disk ('file' / 'directory'), if anything. */
function onDisk(arg: string): 'file' | 'directory' | undefined {
  if (arg === '' || arg.includes('\n')) return undefined;
  try {
    const st = statSync(arg, { throwIfNoEntry: false });
    return st === undefined ? undefined : st.isDirectory() ? 'directory' : 'file';
  } catch {
    return undefined; // not a possible path (too long, NUL, …): a text
  }
}

/**
 * Text arguments are texts. One that names an existing file or directory is refused: it
 * is almost surely a path meant as --file (scoring the path's few tokens would print a
 * confident "not detected" on the wrong text). The literal text can still come on stdin.
 */
function refusePathArgument(text: string, i: number): void {
  const what = onDisk(text);
  if (what === undefined) return;
  const hint = what === 'directory' ? `for a corpus use tracemark scan ${text}` : `to test the file's contents use --file ${text}`;
  throw usage(`argument ${i + 1} (${JSON.stringify(text)}) names an existing ${what}, not a text: ${hint} (a text that looks like a path can come on stdin)`);
}

export async function collectTexts(args: string[], f: Pick<DetectFlags, 'file' | 'jsonl' | 'field' | 'promptField' | 'ids'>): Promise<TextItem[]> {
  const items: TextItem[] = [];
  args.forEach(refusePathArgument);
  args.forEach((text, i) => items.push({ source: `arg:${i + 1}`, text }));
  let stdinUsed = false;
  const stdin = async (): Promise<string> => {
    if (stdinUsed) throw usage('stdin can be read only once');
    stdinUsed = true;
    return readStdin();
  };
  for (const path of f.file ?? []) {
    items.push({ source: path === '-' ? 'stdin' : path, text: path === '-' ? await stdin() : readTextFile(path, 'text file') });
  }
  for (const path of f.jsonl ?? []) {
    for (const r of readJsonlTexts(path, f.field)) {
      let prompt: string | undefined;
      if (f.promptField !== undefined) {
        const p = r.record[f.promptField];
        if (p !== undefined && typeof p !== 'string') throw usage(`${path}:${r.line}: field "${f.promptField}" is not a string`);
        prompt = p;
      }
      items.push({ source: `${path}:${r.line}`, ...(r.id !== undefined ? { id: r.id } : {}), text: r.text, ...(prompt !== undefined ? { prompt } : {}) });
    }
  }
  if (items.length === 0 && !(f.ids && f.ids.length > 0)) {
    if (process.stdin.isTTY) throw usage('no texts: give texts as arguments, --file, --jsonl, --ids, or pipe text on stdin');
    items.push({ source: 'stdin', text: await stdin() });
  }
  return items;
}

/** One warning line for the empty texts (a lone BOM counts: it is dropped); their results stay. */
function warnEmpty(items: readonly TextItem[]): void {
  const empty = items.filter((t) => t.text === '' || t.text === '\uFEFF').map((t) => t.source);
  if (empty.length === 0) return;
  const shown = empty.length > 3 ? `${empty.slice(0, 3).join(', ')}, …` : empty.join(', ');
  warn(`${empty.length} of ${items.length} text(s) empty (${shown}): nothing to score, so their verdicts say nothing`);
}

export async function runDetect(args: string[], f: DetectFlags): Promise<DetectOutput> {
  const alpha = alphaFlag(f.alpha);
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  const items = await collectTexts(args, f);
  const idItems = await readIdItems(f.ids ?? [], spec.tokenizer); // every line checked before anything is scored
  warnEmpty(items);
  const detector = new Detector(spec, key, { normalize: normalizeFlag(f.normalize) });
  try {
    const opts = { alpha, ...(f.exclude ? { exclude: f.exclude } : {}), spans: f.spans !== false };
    const r = detectTexts(detector, items, opts);
    if (idItems.length === 0) return { command: 'detect', ...r };
    const results = [...r.results, ...detectIdItems(detector, idItems, opts)];
    return { command: 'detect', ...r, texts: results.length, detected: results.filter((t) => t.verdict === 'detected').length, results };
  } finally {
    detector.dispose();
  }
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('test texts for the watermark: exact p-value, verdict, watermarked spans, payload')
    .argument('[text...]', 'texts to test (or use --file / --jsonl / stdin)')
    .requiredOption('--spec <file>', 'watermark spec (JSON)')
    .requiredOption('--key <file>', 'watermark key file (must match the spec)')
    .option('--file <path>', 'a text file, one text (repeatable; - = stdin)', collect)
    .option('--jsonl <path>', 'a JSONL file, one text per line in --field (repeatable)', collect)
    .option('--ids <path>', 'a JSONL file of token ids, one text per line: "ids" (and "prompt_ids", whose windows are not scored) (repeatable)', collect)
    .option('--field <name>', 'JSONL field holding the text', 'text')
    .option('--prompt-field <name>', 'JSONL field holding the prompt the text answered: its windows are not scored')
    .option('--exclude <text>', 'a text given to the generator (prompt, system prompt): its windows are not scored (repeatable)', collect)
    .option('--alpha <α>', 'significance level of the verdict (default 1e-6)')
    .option('--no-spans', 'skip the search for watermarked spans')
    .option(
      '--normalize <mode>',
      'auto: when NFKC / zero-width removal / lookalike mapping changes a text, test it as given and normalised and report the smaller p doubled; on: normalised only; off: as given',
      'auto',
    )
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Verdict: "detected" (printed WATERMARKED) when p ≤ α. p is the exact probability that text written without
this key scores at least this high (each (window, token) scored once); it does not say
how much of the text is watermarked. Spans come from windowed tests whose p-values are
Bonferroni-corrected over the windows scanned. Exit code 0 whatever the verdicts.

Many texts: each p-value is exact for its own text, but under one key texts that share
passages (mailing-list footers, quoted replies) share (window, token) tuples and are
flagged together, so "k of n watermarked" can exceed α·n on human text. The corpus-level
test is tracemark scan (every distinct tuple of the corpus scored once, one exact p-value).`,
    )
    .action(async (texts: string[], f: DetectFlags) => {
      const r = await runDetect(texts, f);
      if (f.json) return printJson(r);
      for (const t of r.results) {
        const head = `${t.source}${t.id !== undefined ? ` (${t.id})` : ''}`;
        const short = t.tooShort ? ' [too short for much power]' : '';
        println(`${head}: ${t.verdict === 'detected' ? 'WATERMARKED' : 'not detected'}  p = ${t.pValue} (log10 p = ${t.log10P.toFixed(2)}), ${t.scored} of ${t.tokens} tokens scored, z = ${t.z.toFixed(2)}${short}`);
        for (const s of t.spans ?? []) {
          println(`  span tokens ${s.startToken}–${s.endToken}${s.charStart !== undefined ? ` (chars ${s.charStart}–${s.charEnd})` : ''}: corrected p = ${s.pValue}`);
        }
        if (t.payload) println(`  ${payloadLine(t.payload, t.verdict === 'detected')}`);
        if (t.engine) println(`  ${engineLine(t.engine)}`);
        if (t.normalization) println(`  ${normalizationLine(t.normalization)}`);
      }
      println(`${r.detected} of ${r.texts} text(s) watermarked at α = ${r.alpha} (p ≤ ${fmtLog10(Math.log10(r.alpha))})`);
      if (r.texts > 1) println('(each p-value is exact for its own text; texts sharing passages are flagged together, so this count is no corpus-level test: use tracemark scan)');
    });
}

/**
 * The payload in one line. Its p-value is "this text carries some id" (the best-matching id,
 * corrected over all 2^N ids): the best match on text without the watermark is an arbitrary
 * id, so it is named only when that test is significant, and even then the line says that
 * tying the id to an account is a test of that account's id (tracemark attribute leaks).
 */
export function payloadLine(p: { message: string; messageHex: string; pValue: string; matched: number; scored: number }, significant: boolean): string {
  if (!significant) return `payload: no id decoded (p = ${p.pValue} that the text carries any id)`;
  return (
    `payload: the text carries an id (p = ${p.pValue}, over all ids); best match ${p.message} (${p.messageHex}), ${p.matched} of ${p.scored} tokens agree. ` +
    'Naming an account needs a test of that account\'s id: tracemark attribute leaks'
  );
}

/** Why the p-value is doubled: the text changed under normalisation and both versions were tested. */
export function normalizationLine(n: { scored: 'as-given' | 'normalized'; lnPAsGiven: number; lnPNormalized: number }): string {
  return (
    `normalisation changes this text (zero-width, compatibility or lookalike characters): tested as given (log10 p = ${(n.lnPAsGiven / Math.LN10).toFixed(2)}) ` +
    `and normalised (log10 p = ${(n.lnPNormalized / Math.LN10).toFixed(2)}); p above is the smaller, doubled (--normalize off/on to test one)`
  );
}

/** The engine's own detector, in one line beside tracemark's exact p (which the verdict uses). */
export function engineLine(e: NonNullable<DetectOutput['results'][number]['engine']>): string {
  const p = e.pValue === null ? 'no p-value' : `p = ${e.pValue.toPrecision(3)}`;
  const z = e.z === null ? '' : `, z = ${e.z.toFixed(2)}`;
  const verdict = e.watermarked === null ? '' : e.watermarked ? ', says watermarked' : ', says not watermarked';
  return `${e.engine}'s own detector: ${p}${z} over ${e.scored} positions${verdict} (${e.name})`;
}
