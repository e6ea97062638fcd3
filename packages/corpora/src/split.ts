/**
 * Deterministic, disjoint splits of the human text.
 *
 * A document's split is a pure function of its id: u = first 32 bits of
 * SHA-256("tracemark/corpora/split/v1:" + id) / 2^32, and
 *   u < 0.70 → train        (the reference language model's training text)
 *   u < 0.80 → heldout      (perplexity, prompts, evaluation)
 *   else     → calibration  (null p-value calibration of the detector)
 * Hashing (rather than, say, every tenth file) keeps each split a fair sample of
 * every genre and source, and never changes when documents are added.
 */
import { createHash } from 'node:crypto';
import { brownDocuments } from './brown.js';
import { nlpCorpusDocuments } from './nlp.js';
import type { CorpusDocument, CorpusSource, Split } from './types.js';

export const SPLITS: readonly Split[] = ['train', 'heldout', 'calibration'];
export const SPLIT_FRACTIONS: Readonly<Record<Split, number>> = { train: 0.7, heldout: 0.1, calibration: 0.2 };

export function splitOf(id: string): Split {
  const u = createHash('sha256').update(`tracemark/corpora/split/v1:${id}`).digest().readUInt32BE(0) / 2 ** 32;
  if (u < SPLIT_FRACTIONS.train) return 'train';
  if (u < SPLIT_FRACTIONS.train + SPLIT_FRACTIONS.heldout) return 'heldout';
  return 'calibration';
}

export interface HumanTextOptions {
  split: Split;
  /** Which sources to include (default both). */
  sources?: readonly CorpusSource[];
}

const ALL_SOURCES: readonly CorpusSource[] = ['brown', 'nlp-corpus'];
const bySplit = new Map<string, CorpusDocument[]>();

export function allDocuments(sources: readonly CorpusSource[] = ALL_SOURCES): CorpusDocument[] {
  const out: CorpusDocument[] = [];
  for (const s of sources) {
    if (s === 'brown') out.push(...brownDocuments());
    else if (s === 'nlp-corpus') out.push(...nlpCorpusDocuments());
    else throw new Error(`unknown corpus source ${JSON.stringify(s)} (expected brown or nlp-corpus)`);
  }
  return out;
}

/** The documents of one split, in a fixed order (Brown first, then nlp-corpus; each by id). */
export function humanText(opts: HumanTextOptions): CorpusDocument[] {
  if (!SPLITS.includes(opts?.split)) {
    throw new Error(`split must be one of ${SPLITS.join(', ')} (got ${JSON.stringify(opts?.split)})`);
  }
  const sources = opts.sources ?? ALL_SOURCES;
  const key = `${opts.split}:${sources.join(',')}`;
  let docs = bySplit.get(key);
  if (!docs) {
    docs = allDocuments(sources).filter((d) => splitOf(d.id) === opts.split);
    bySplit.set(key, docs);
  }
  return docs;
}
