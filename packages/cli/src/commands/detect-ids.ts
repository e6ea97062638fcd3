/**
 * `tracemark detect --ids <file.jsonl>`: token ids instead of text, for investigators
 * who have the ids a model emitted (decode → encode can change them: docs/TOKENIZERS.md).
 * Each line is a JSON object with `ids` (non-negative integers below the spec tokenizer's
 * vocabulary size when it is known here), optionally `prompt_ids` (the prompt's ids:
 * their windows are not scored) and `id`. Every line is checked before anything is
 * scored: a bad one is one line naming file, line and field, exit 2, nothing written.
 * Verdicts are those of text input (same exact test, spans, payload), without
 * character offsets.
 */
import {
  DetectorError,
  readDocuments,
  textTest,
  textVerdict,
  usage,
  vocabSizeOf,
  type Detector,
  type DetectionResult,
  type TextVerdict,
} from '@tracemark/detector';

export interface IdItem {
  source: string;
  id?: string;
  ids: Uint32Array;
  promptIds?: Uint32Array;
}

/** All id records of the files, checked (CliError, exit 2, on the first bad line). */
export async function readIdItems(paths: readonly string[], tokenizer: string): Promise<IdItem[]> {
  const vocabSize = vocabSizeOf(tokenizer);
  const items: IdItem[] = [];
  for (const path of paths) {
    try {
      for await (const d of readDocuments(path, { format: 'jsonl', idField: 'id', ids: vocabSize === undefined ? {} : { vocabSize } })) {
        if (d.ids!.length === 0) throw usage(`${path}:${d.line}: field "ids" is empty: nothing to score`);
        items.push({ source: `${path}:${d.line}`, ...(d.id !== undefined ? { id: d.id } : {}), ids: d.ids!, ...(d.promptIds ? { promptIds: d.promptIds } : {}) });
      }
    } catch (e) {
      if (e instanceof DetectorError) throw usage(e.message);
      throw e;
    }
  }
  return items;
}

/** Verdicts for id items, as detectTexts gives for texts. */
export function detectIdItems(
  detector: Detector,
  items: readonly IdItem[],
  opts: { alpha: number; exclude?: readonly string[]; spans?: boolean },
): TextVerdict[] {
  const lnAlpha = Math.log(opts.alpha);
  const exclude = opts.exclude ?? [];
  const globalExclude = exclude.length > 0 ? detector.exclusion(exclude) : undefined;
  return items.map((it) => {
    const exclusion = it.promptIds !== undefined ? detector.exclusion([...exclude, it.promptIds]) : globalExclude;
    // engine specs that key on the prompt (SGLang, HF KGW) also read their first contexts from it
    const o = { ...(exclusion ? { exclude: exclusion } : {}), ...(it.promptIds !== undefined && detector.engineReader ? { prompt: it.promptIds } : {}) };
    let r: DetectionResult;
    try {
      r = detector.detectTokens(it.ids, o);
    } catch (e) {
      if (e instanceof DetectorError) throw usage(`${it.source}: ${e.message}`);
      throw e;
    }
    return textVerdict(it, r, textTest(r), lnAlpha, opts.spans !== false && !r.payload ? (alpha) => detector.localize(it.ids, { ...o, alpha }) : undefined, opts.alpha);
  });
}
