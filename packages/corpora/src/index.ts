export type { CorpusDocument, CorpusSource, Split } from './types.js';
export { brownDocuments, parseBrownFile, stripTag } from './brown.js';
export { nlpCorpusDocuments, cleanSentence, SENTENCES_PER_DOC } from './nlp.js';
export { detokenize } from './detokenize.js';
export { humanText, allDocuments, splitOf, SPLITS, SPLIT_FRACTIONS } from './split.js';
export type { HumanTextOptions } from './split.js';
export { promptSet } from './prompts.js';
export type { PromptSetOptions } from './prompts.js';
export { corpusFingerprint, CORPORA_TEXT_VERSION } from './fingerprint.js';
