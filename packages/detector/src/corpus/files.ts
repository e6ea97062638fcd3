/**
 * Corpus paths → files: files as given, directories expanded (recursively, sorted) to
 * the text and JSONL files the readers understand.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DetectorError } from '../errors.js';

const CORPUS_EXT = /\.(txt|text|md|jsonl|ndjson)(\.gz)?$/i;

export function corpusFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new DetectorError('IO_ERROR', `corpus file not found: ${p}`);
    }
    if (st.isDirectory()) {
      const found = readdirSync(p, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && CORPUS_EXT.test(e.name))
        .map((e) => join(e.parentPath, e.name))
        .sort();
      if (found.length === 0) throw new DetectorError('BAD_OPTION', `${p}: no .txt, .md, .jsonl or .ndjson files (optionally .gz) in this directory`);
      out.push(...found);
    } else out.push(p);
  }
  if (out.length === 0) throw new DetectorError('BAD_OPTION', 'no corpus files given');
  return out;
}
