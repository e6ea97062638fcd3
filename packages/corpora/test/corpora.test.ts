import { describe, expect, it } from 'vitest';
import {
  brownDocuments,
  cleanSentence,
  corpusFingerprint,
  detokenize,
  humanText,
  nlpCorpusDocuments,
  parseBrownFile,
  promptSet,
  SPLIT_FRACTIONS,
  splitOf,
  SPLITS,
} from '@tracemark/corpora';

// A Brown tag glued to a word: "word/nn", "./.", "Jury/nn-tl", "Atlanta's/np$" (the
// common tags only: "and/or" is English).
const TAGGED = /\S\/(?:at|nns?|np[$s]?|vb[dgnz]?|jj[rs]?|rb|cc|cs|cd|pp[so]s?|dti?|wdt|hv[dz]|bedz|ber|ben|md|``|''|--)(?:-(?:tl|hl|nc))?(?=\s|$)/;

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z']+/g) ?? [];
}

describe('detokenize', () => {
  it('rejoins punctuation, quotes and brackets the way people write them', () => {
    expect(detokenize(['He', 'said', ',', '``', 'Hi', "''", '.'])).toBe('He said, "Hi."');
    expect(detokenize(['``', 'Only', 'a', 'few', "''", ',', 'the', 'jury', 'said', '.'])).toBe('"Only a few," the jury said.');
    expect(detokenize(['(', '1', ')', 'four', 'deputies', ';', 'costs', '$', '5', '?'])).toBe('(1) four deputies; costs $5?');
    expect(detokenize(['Ivan', 'Allen', 'Jr.', '.'])).toBe('Ivan Allen Jr.');
    expect(detokenize(['more', "'", 'pro', "'", 'than', 'con'])).toBe("more 'pro' than con");
    expect(detokenize(['``', 'Who', 'Cares', '?', "''", ',', 'he', 'sang'])).toBe('"Who Cares?" he sang');
  });
});

describe('parseBrownFile', () => {
  it('strips tags, drops the doubled ; ? !, and separates paragraphs and headlines', () => {
    const file = [
      '',
      '',
      '\tThe/at jury/nn met/vbd ;/. ;/.',
      'it/pps adjourned/vbd ./.',
      '',
      '',
      'Merger/nn-hl proposed/vbn-hl ',
      'Why/wrb ?/. ?/.',
      'Goodby/uh-hl Sam/np-hl',
      './.',
      '',
      "\t``/`` Fine/jj ''/'' ,/, he/pps said/vbd ,/, ``/`` 1-1/2/cd miles/nns ''/'' ./.",
    ].join('\n');
    expect(parseBrownFile(file)).toEqual([
      ['The jury met;', 'it adjourned.'],
      ['Merger proposed'],
      ['Why?'],
      ['Goodby Sam.'],
      ['"Fine," he said, "1-1/2 miles."'],
    ]);
  });
});

describe('Brown corpus', () => {
  const docs = brownDocuments();

  it('has 500 documents with unique ids and genres', () => {
    expect(docs).toHaveLength(500);
    expect(new Set(docs.map((d) => d.id)).size).toBe(500);
    expect(docs[0]!.id).toBe('brown/ca01');
    expect(docs[0]!.genre).toBe('news');
    expect(new Set(docs.map((d) => d.genre)).size).toBe(15);
  });

  it('is about a million words of text with no POS tags or Penn quotes left', () => {
    let total = 0;
    let strayPunctuation = 0;
    for (const d of docs) {
      expect(d.text.length).toBeGreaterThan(5000);
      expect(d.text).not.toMatch(TAGGED);
      expect(d.text).not.toMatch(/``|''|\*\*|\.\/\.|,\/,/);
      expect(d.text).not.toMatch(/\n{3}/);
      // "word ," survives only where the corpus itself dropped a symbol or number (~20 places).
      strayPunctuation += d.text.match(/\s[,.;:?!](?![\d.])/g)?.length ?? 0;
      total += words(d.text).length;
    }
    expect(strayPunctuation).toBeLessThan(50);
    expect(total).toBeGreaterThan(900_000);
    expect(total).toBeLessThan(1_200_000);
    expect(docs[0]!.text.startsWith('The Fulton County Grand Jury said Friday an investigation of')).toBe(true);
    expect(docs[0]!.text).toContain('produced "no evidence" that any irregularities took place.\n\nThe jury further said');
  });

  it('reads as English: common words dominate and almost all characters are plain', () => {
    const text = docs.map((d) => d.text).join('\n');
    const counts = new Map<string, number>();
    for (const w of words(text.slice(0, 2_000_000))) counts.set(w, (counts.get(w) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([w]) => w);
    expect(top).toEqual(expect.arrayContaining(['the', 'of', 'and', 'to', 'a', 'in']));
    const plain = text.match(/[A-Za-z0-9 \n.,;:?!'"()$%&-]/g)!.length;
    expect(plain / text.length).toBeGreaterThan(0.995);
  });
});

describe('nlp-corpus', () => {
  const docs = nlpCorpusDocuments();

  it('groups 100 files of sentences into documents of up to 20 cleaned sentences', () => {
    expect(docs.length).toBe(5000);
    const sentences = docs.reduce((a, d) => a + d.sentences.length, 0);
    expect(sentences).toBeGreaterThan(99_000);
    expect(sentences).toBeLessThanOrEqual(100_000);
    for (const d of docs) {
      expect(d.sentences.length).toBeGreaterThan(0);
      expect(d.sentences.length).toBeLessThanOrEqual(20);
      expect(d.text).toBe(d.sentences.join('\n\n'));
      for (const s of d.sentences) expect(s).not.toMatch(/\n|^\s|\s$/);
    }
  });

  it('drops entries that are not prose and repairs leading line fragments', () => {
    expect(cleanSentence('PLEASE HELP !!!!!!!!!!!!!!!!!!!')).toBeNull();
    expect(cleanSentence('tele # 84838389593')).toBeNull();
    expect(cleanSentence(42)).toBeNull();
    expect(cleanSentence('.\nThe Advisory Committee appreciates it.')).toBe('The Advisory Committee appreciates it.');
    expect(cleanSentence('  It was\n fine. ')).toBe('It was fine.');
  });
});

describe('splits', () => {
  const all = SPLITS.map((split) => humanText({ split }));

  it('are disjoint, cover every document, and follow the documented fractions', () => {
    const ids = all.map((docs) => new Set(docs.map((d) => d.id)));
    const total = ids.reduce((a, s) => a + s.size, 0);
    expect(total).toBe(brownDocuments().length + nlpCorpusDocuments().length);
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) for (const id of ids[i]!) expect(ids[j]!.has(id)).toBe(false);
    }
    // Each fraction within 5 standard deviations of its target (5,500 documents).
    SPLITS.forEach((split, i) => {
      const f = SPLIT_FRACTIONS[split];
      expect(Math.abs(ids[i]!.size / total - f)).toBeLessThan(5 * Math.sqrt((f * (1 - f)) / total));
    });
  });

  it('depend only on the document id (pinned so caches keyed on the corpus stay valid)', () => {
    expect(splitOf('brown/ca01')).toBe(splitOf('brown/ca01'));
    const pinned = ['brown/ca01', 'brown/ca02', 'brown/ck01', 'nlp-corpus/doc-0/0', 'nlp-corpus/doc-7/3'].map(splitOf);
    expect(pinned).toEqual(['calibration', 'train', 'calibration', 'train', 'calibration']);
    for (const [i, docs] of all.entries()) for (const d of docs.slice(0, 50)) expect(splitOf(d.id)).toBe(SPLITS[i]);
  });

  it('are cached and can be restricted to one source', () => {
    expect(humanText({ split: 'heldout' })).toBe(humanText({ split: 'heldout' }));
    const brownOnly = humanText({ split: 'train', sources: ['brown'] });
    expect(brownOnly.length).toBeGreaterThan(300);
    expect(brownOnly.every((d) => d.source === 'brown')).toBe(true);
  });

  it('reject unknown splits and sources with a clear message', () => {
    expect(() => humanText({ split: 'test' as never })).toThrow(/split must be one of train, heldout, calibration/);
    expect(() => humanText({ split: 'train', sources: ['wiki' as never] })).toThrow(/unknown corpus source "wiki"/);
  });

  it('have a stable cheap fingerprint', () => {
    const fp = corpusFingerprint();
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    expect(corpusFingerprint()).toBe(fp);
    expect(corpusFingerprint(['brown'])).not.toBe(fp);
  });
});

describe('promptSet', () => {
  it('gives distinct held-out sentence starts, deterministic in the seed', () => {
    const a = promptSet(200, 7);
    expect(promptSet(200, 7)).toEqual(a);
    expect(promptSet(200, 8)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(195); // distinct sentences; equal starts are possible but rare
    const heldout = humanText({ split: 'heldout' }).flatMap((d) => d.sentences);
    const train = humanText({ split: 'train' }).map((d) => d.text).join('\n');
    for (const p of a.slice(0, 40)) {
      const n = p.split(' ').length;
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(10);
      expect(p).toMatch(/^[A-Z][a-z]/);
      expect(heldout.some((s) => s.startsWith(p))).toBe(true);
    }
    // Held-out prompts are (mostly) not sentence starts of the training text.
    const seenInTrain = a.filter((p) => train.includes(`\n${p} `) || train.includes(`. ${p} `)).length;
    expect(seenInTrain).toBeLessThan(10);
  });

  it('honours word bounds and rejects bad arguments', () => {
    for (const p of promptSet(50, 1, { minWords: 3, maxWords: 3 })) expect(p.split(' ').length).toBeLessThanOrEqual(3);
    expect(() => promptSet(-1, 1)).toThrow(/non-negative integer/);
    expect(() => promptSet(5, 1.5)).toThrow(/seed must be an integer/);
    expect(() => promptSet(5, 1, { minWords: 5, maxWords: 2 })).toThrow(/minWords ≤ maxWords/);
    expect(() => promptSet(10_000_000, 1)).toThrow(/only \d+ usable sentences/);
  });
});
