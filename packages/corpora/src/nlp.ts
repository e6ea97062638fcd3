/**
 * nlp-corpus (npm `nlp-corpus`): 100 files `builds/doc-N.json`, each an array of
 * 1,000 English sentences drawn at random from many sources (fiction, forums, UN
 * documents, transcripts, …). Sentences within a file are unrelated, so we group
 * them into pseudo-documents of SENTENCES_PER_DOC consecutive sentences, each
 * sentence its own paragraph: the split then works at a finer grain than a file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './resolve.js';
import type { CorpusDocument } from './types.js';

export const SENTENCES_PER_DOC = 20;

/**
 * Normalise one sentence, or reject it (null): line breaks inside an entry become
 * spaces, and entries that are mostly not letters (ascii art, phone numbers,
 * "!!!!!!") are dropped so the text stays natural prose.
 */
export function cleanSentence(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // Some entries begin with the tail of a previous line (". According to …").
  const s = raw.replace(/\s+/g, ' ').trim().replace(/^[.,;:!?)\]]+\s+(?=\p{L})/u, '');
  if (s.length < 2) return null;
  const letters = s.match(/\p{L}/gu)?.length ?? 0;
  return letters >= 0.5 * s.length ? s : null;
}

let cache: CorpusDocument[] | undefined;

export function nlpCorpusDocuments(): CorpusDocument[] {
  if (cache) return cache;
  const dir = join(packageDir('nlp-corpus'), 'builds');
  const docs: CorpusDocument[] = [];
  for (let file = 0; existsSync(join(dir, `doc-${file}.json`)); file++) {
    const json: unknown = JSON.parse(readFileSync(join(dir, `doc-${file}.json`), 'utf8'));
    if (!Array.isArray(json)) throw new Error(`nlp-corpus builds/doc-${file}.json is not an array of sentences`);
    for (let start = 0; start < json.length; start += SENTENCES_PER_DOC) {
      const sentences = json
        .slice(start, start + SENTENCES_PER_DOC)
        .map(cleanSentence)
        .filter((s): s is string => s !== null);
      if (sentences.length === 0) continue;
      docs.push({
        id: `nlp-corpus/doc-${file}/${start / SENTENCES_PER_DOC}`,
        source: 'nlp-corpus',
        text: sentences.join('\n\n'),
        sentences,
      });
    }
  }
  if (docs.length === 0) throw new Error(`nlp-corpus at ${dir} contains no documents`);
  cache = docs;
  return cache;
}
