/**
 * The attacks' contract (packages/bench/src/attacks): each is a pure seeded
 * function (text, params, rng) → text that
 *  - applies its rate: the number of changed units is Binomial(eligible, p), checked
 *    against a 5σ bound, and checked on the output itself where the output shows it;
 *  - is deterministic in the seed (and differs across seeds);
 *  - returns well-formed text (valid UTF-8), also for emoji, combining marks and CJK;
 *  - accepts the empty string.
 * Plus the normalisation defence, the copy-paste geometry and the LLM hook (against a
 * local mock of an OpenAI-compatible endpoint).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanText } from '@tracemark/corpora';
import { decode, encode } from '@tracemark/lm';
import { seededRng } from '@tracemark/watermark';
import {
  AttackError,
  CONTRACTIONS,
  contractionsDetailed,
  copyPasteDetailed,
  deletionDetailed,
  expand,
  contract,
  homoglyphs,
  homoglyphsDetailed,
  isWellFormed,
  llmAttack,
  loadWordNet,
  lowercaseDetailed,
  misspellingsDetailed,
  parseAttack,
  parseAttackList,
  repetitionDetailed,
  runAttack,
  swapDetailed,
  synonymsDetailed,
  tokenSubstitutionDetailed,
  typos,
  typosDetailed,
  zeroWidth,
  zeroWidthDetailed,
  ZERO_WIDTH,
  type AttackConfig,
  type AttackOutcome,
  type Rng,
} from '../src/attacks/index.js';
import { normalizeText } from '@tracemark/detector';

let text: string; // ~12k characters of held-out human text
const MIXED = 'Naïve café — “quotes”, emoji 👩‍👩‍👧 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, 日本語のテキスト, e\u0301 combining. It’s fine; don\'t panic! I am here.';

beforeAll(() => {
  text = humanText({ split: 'heldout' })
    .slice(0, 40)
    .map((d) => d.text)
    .join('\n\n')
    .slice(0, 12_000);
});

/** Prose with a table phrase after every 40th word (and nothing at all for ''). */
function siteText(t: string): string {
  const w = t.split(' ');
  return w.map((x, i) => (i % 40 === 39 ? `${x} ${CONTRACTIONS[i % CONTRACTIONS.length]![0]}` : x)).join(' ');
}

/** |k − np| ≤ 5σ + 1: fails with probability < 1e-6 for a correct rate. */
function expectBinomial(k: number, n: number, p: number): void {
  expect(n).toBeGreaterThan(50);
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(k - n * p)).toBeLessThanOrEqual(5 * sd + 1);
}

const wellFormedUtf8 = (s: string): boolean => isWellFormed(s) && new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(s)) === s;

type Run = (t: string, rng: Rng) => AttackOutcome;
const RATE_CASES: [string, number, Run][] = [
  ['typo', 0.05, (t, r) => typosDetailed(t, { rate: 0.05 }, r)],
  ['typo', 0.1, (t, r) => typosDetailed(t, { rate: 0.1 }, r)],
  ['misspell', 0.5, (t, r) => misspellingsDetailed(t, { rate: 0.5 }, r)],
  // prose has few contraction sites: these two run on text seeded with them (see siteText)
  ['contract', 0.5, (t, r) => contractionsDetailed(siteText(t), 'contract', { rate: 0.5 }, r)],
  ['expand', 0.5, (t, r) => contractionsDetailed(contract(siteText(t), { rate: 1 }, seededRng(0)), 'expand', { rate: 0.5 }, r)],
  ['lowercase', 0.5, (t, r) => lowercaseDetailed(t, { rate: 0.5 }, r)],
  ['swap', 0.25, (t, r) => swapDetailed(t, { rate: 0.25 }, r)],
  ['delete', 0.05, (t, r) => deletionDetailed(t, { rate: 0.05 }, r)],
  ['delete', 0.3, (t, r) => deletionDetailed(t, { rate: 0.3 }, r)],
  ['repeat', 0.15, (t, r) => repetitionDetailed(t, { rate: 0.15 }, r)],
  ['synonym', 0.25, (t, r) => synonymsDetailed(t, { rate: 0.25 }, r)],
  ['synonym', 1, (t, r) => synonymsDetailed(t, { rate: 1 }, r)],
  ['token-sub', 0.1, (t, r) => tokenSubstitutionDetailed(t, { rate: 0.1 }, r)],
  ['token-sub', 0.3, (t, r) => tokenSubstitutionDetailed(t, { rate: 0.3 }, r)],
  ['homoglyph', 0.05, (t, r) => homoglyphsDetailed(t, { rate: 0.05 }, r)],
  ['zero-width', 0.25, (t, r) => zeroWidthDetailed(t, { rate: 0.25 }, r)],
];

describe('every rate attack', () => {
  it.each(RATE_CASES)('%s p=%s: rate within a binomial bound, deterministic, well-formed, empty ok', (_name, p, run) => {
    const a = run(text, seededRng('attack-test:1'));
    expect(a.eligible).toBeGreaterThan(50);
    expectBinomial(a.changed, a.eligible, p);
    expect(a.text).not.toBe(text);
    expect(a.changed).toBeGreaterThan(0);
    // deterministic in the seed, different across seeds
    expect(run(text, seededRng('attack-test:1'))).toEqual(a);
    expect(run(text, seededRng('attack-test:2')).text).not.toBe(a.text);
    // well-formed, also on text with astral characters, ZWJ sequences and combining marks
    expect(wellFormedUtf8(a.text)).toBe(true);
    const m = run(MIXED.repeat(3), seededRng(3));
    expect(wellFormedUtf8(m.text)).toBe(true);
    // empty text
    expect(run('', seededRng(1))).toMatchObject({ text: '', changed: 0 });
  });

  it('misspellings and contractions have enough sites in the test text', () => {
    expect(misspellingsDetailed(text, { rate: 1 }, seededRng(1)).eligible).toBeGreaterThan(50);
    expect(contractionsDetailed(siteText(text), 'contract', { rate: 1 }, seededRng(1)).eligible).toBeGreaterThan(50);
  });
});

describe('the output shows the rate', () => {
  const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

  it('deletion and repetition change the word count by exactly `changed`', () => {
    const d = deletionDetailed(text, { rate: 0.15 }, seededRng(5));
    expect(words(d.text)).toBe(words(text) - d.changed);
    const r = repetitionDetailed(text, { rate: 0.3 }, seededRng(5));
    expect(words(r.text)).toBe(words(text) + r.changed);
    expectBinomial(r.changed, words(text), 0.3);
  });

  it('zero-width insertion adds exactly `changed` invisible characters and nothing else', () => {
    const z = zeroWidthDetailed(text, { rate: 0.1 }, seededRng(6));
    const inserted = [...z.text].filter((ch) => (ZERO_WIDTH as readonly string[]).includes(ch)).length;
    expect(inserted).toBe(z.changed);
    expect([...z.text].filter((ch) => !(ZERO_WIDTH as readonly string[]).includes(ch)).join('')).toBe(text);
    expectBinomial(z.changed, [...text].length - 1, 0.1);
  });

  it('homoglyphs change exactly `changed` letters into non-ASCII lookalikes, same length', () => {
    const h = homoglyphsDetailed(text, { rate: 0.25 }, seededRng(7));
    const a = [...text], b = [...h.text];
    expect(b.length).toBe(a.length);
    const diff = a.filter((ch, i) => ch !== b[i]).length;
    expect(diff).toBe(h.changed);
    expect(a.every((ch, i) => ch === b[i] || b[i]!.charCodeAt(0) > 0x36f)).toBe(true);
  });

  it('lowercase at rate 1 is toLowerCase; swaps keep the multiset of words', () => {
    expect(lowercaseDetailed(text, {}, seededRng(1)).text).toBe(text.toLowerCase());
    const s = swapDetailed(text, { rate: 0.5 }, seededRng(8));
    const sorted = (x: string): string[] => x.split(/\s+/).filter(Boolean).sort();
    expect(sorted(s.text)).toEqual(sorted(text));
    const moved = text.split(/\s+/).filter(Boolean).filter((w, i) => w !== s.text.split(/\s+/).filter(Boolean)[i]).length;
    expect(moved).toBeLessThanOrEqual(2 * s.changed);
    expect(moved).toBeGreaterThanOrEqual(s.changed); // a swap of two equal words moves nothing visible
  });

  it('token substitution replaces `changed` token positions and the text decodes from them', () => {
    const t = tokenSubstitutionDetailed(text, { rate: 0.2 }, seededRng(9));
    expect(t.tokens.length).toBe(t.original.length);
    expect(t.tokens.filter((x, i) => x !== t.original[i]).length).toBe(t.changed);
    expect(t.text).toBe(decode('o200k_base', t.tokens));
    expect(t.eligible).toBe(encode('o200k_base', text).length);
  });

  it('typos: the edit distance to the original is between changed/… and 2·changed (transpositions count 2)', () => {
    const sample = text.slice(0, 2500);
    const t = typosDetailed(sample, { rate: 0.05 }, seededRng(10));
    const d = levenshtein(sample, t.text);
    expect(d).toBeLessThanOrEqual(2 * t.changed);
    expect(d).toBeGreaterThanOrEqual(Math.floor(0.8 * t.changed));
    expect(typos(sample, { rate: 0.05 }, seededRng(10))).toBe(t.text);
  });

  it('misspellings and synonyms replace words from their tables, keeping case', () => {
    const m = misspellingsDetailed('Because THEIR friend said: "Definitely separate!"', { rate: 1 }, seededRng(1));
    expect(m.text).toBe('Becuase THIER freind siad: "Definately seperate!"');
    expect(m.changed).toBe(6);
    const wn = loadWordNet();
    expect(wn.synonyms('car')).toContain('automobile');
    const s = synonymsDetailed('The Committee said the cars were big.', { rate: 1 }, seededRng(2));
    expect(s.text).toMatch(/^The Commission said the \w+s were large\.$/);
  });

  it('contractions and expansions are inverse on the table, with case', () => {
    const phrase = CONTRACTIONS.map(([e]) => e).join(', ') + '. Do not. It is.';
    const c = contract(phrase, { rate: 1 }, seededRng(1));
    expect(c).toContain("Don't. It's.");
    expect(c).toContain("I'm");
    expect(expand(c, { rate: 1 }, seededRng(1)).toLowerCase()).toBe(phrase.toLowerCase());
    expect(contractionsDetailed('They’re here', 'expand', { rate: 1 }, seededRng(1)).text).toBe('They are here');
  });
});

describe('copy-paste', () => {
  it('pastes k spans making the asked share of the tokens, at word boundaries, in order', () => {
    const wm = humanText({ split: 'calibration' })[0]!.text.slice(0, 3000);
    const host = text.slice(0, 6000);
    for (const [k, f] of [[1, 0.1], [3, 0.1], [1, 0.25], [3, 0.25]] as const) {
      const o = copyPasteDetailed(wm, { fraction: f, spans: k, host }, seededRng(`cp:${k}:${f}`));
      expect(o.ranges).toHaveLength(k);
      expect(Math.abs(o.changed / o.eligible - f)).toBeLessThan(0.03);
      for (const [a, b] of o.ranges) expect(wm).toContain(o.text.slice(a, b));
      // the rest is the host, in order, with its words intact
      let rest = '';
      let last = 0;
      for (const [a, b] of o.ranges) {
        rest += o.text.slice(last, a);
        last = b;
      }
      rest += o.text.slice(last);
      const hw = host.split(/\s+/).filter(Boolean), rw = rest.split(/\s+/).filter(Boolean);
      expect(hw.slice(0, rw.length)).toEqual(rw);
      expect(wellFormedUtf8(o.text)).toBe(true);
      expect(copyPasteDetailed(wm, { fraction: f, spans: k, host }, seededRng(`cp:${k}:${f}`))).toEqual(o);
    }
    expect(copyPasteDetailed('', { fraction: 0.1, spans: 1, host: 'human words here' }, seededRng(1)).text).toBe('human words here');
    expect(copyPasteDetailed('marked words', { fraction: 0.1, spans: 1, host: '' }, seededRng(1)).text).toBe('marked words');
    expect(() => copyPasteDetailed(wm, { fraction: 1.5, spans: 1, host }, seededRng(1))).toThrow(/fraction/);
  });
});

describe('normalisation (the defence)', () => {
  it('undoes homoglyphs and zero-width characters exactly on ASCII text', () => {
    const ascii = text.replace(/[^\x20-\x7e\n]/g, ' ');
    expect(normalizeText(homoglyphs(ascii, { rate: 0.5 }, seededRng(1)))).toBe(ascii);
    expect(normalizeText(zeroWidth(ascii, { rate: 0.5 }, seededRng(1)))).toBe(ascii);
    expect(normalizeText(zeroWidth(homoglyphs(ascii, { rate: 1 }, seededRng(2)), { rate: 1 }, seededRng(3)))).toBe(ascii);
  });

  it('leaves Russian and Greek text alone, folds compatibility forms', () => {
    const ru = 'Это обычный русский текст, а не атака: он остаётся как есть.';
    const el = 'Αυτό είναι ένα κανονικό ελληνικό κείμενο για τον έλεγχο.';
    expect(normalizeText(ru)).toBe(ru.normalize('NFKC'));
    expect(normalizeText(el)).toBe(el.normalize('NFKC'));
    expect(normalizeText('ＦＵＬＬwidth ﬁne')).toBe('FULLwidth fine');
    expect(normalizeText('')).toBe('');
  });
});

describe('registry and parsing', () => {
  it('parses names and parameters, rejects bad ones with one-line errors', () => {
    expect(parseAttack('typo:0.05')).toEqual({ name: 'typo', rate: 0.05 });
    expect(parseAttack('copy-paste:3x0.25')).toEqual({ name: 'copy-paste', spans: 3, fraction: 0.25 });
    expect(parseAttack('lowercase')).toEqual({ name: 'lowercase', rate: 1 });
    expect(parseAttackList('default').length).toBeGreaterThan(25);
    for (const bad of ['typo', 'typo:2', 'copy-paste:0.1', 'copy-paste:1x1.5', 'nope:1', 'none:1']) {
      expect(() => parseAttack(bad)).toThrow(AttackError);
    }
    try {
      parseAttack('typo:2');
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('runAttack dispatches every configured attack deterministically', () => {
    const host = text.slice(0, 4000);
    for (const a of parseAttackList('default') as AttackConfig[]) {
      const x = runAttack(a, text.slice(0, 1500), seededRng(`r:${a.name}`), { host });
      expect(x).toEqual(runAttack(a, text.slice(0, 1500), seededRng(`r:${a.name}`), { host }));
      expect(wellFormedUtf8(x.text)).toBe(true);
    }
  });
});

describe('LLM paraphrase / translation hook', () => {
  let server: Server;
  let url: string;
  const bodies: { model: string; temperature: number; seed: number; messages: { role: string; content: string }[] }[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(b) as (typeof bodies)[number];
        bodies.push(body);
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        const user = body.messages.find((m) => m.role === 'user')!.content;
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: ` ${user.split(' ').reverse().join(' ')} ` } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('paraphrases with one call (temperature 0, seeded), translates with two', async () => {
    const p = await llmAttack('one two three', { url, model: 'm', mode: 'paraphrase' }, seededRng(1));
    expect(p).toBe('three two one');
    expect(bodies[0]).toMatchObject({ model: 'm', temperature: 0 });
    expect(Number.isInteger(bodies[0]!.seed)).toBe(true);
    const t = await llmAttack('one two three', { url, model: 'm', mode: 'translate', language: 'German' }, seededRng(1));
    expect(t).toBe('one two three'); // reversed twice
    expect(bodies).toHaveLength(3);
    expect(bodies[1]!.messages[0]!.content).toContain('German');
    expect(await llmAttack('', { url, model: 'm', mode: 'paraphrase' }, seededRng(1))).toBe('');
  });

  it('fails with one-line errors', async () => {
    status = 500;
    await expect(llmAttack('x y', { url, model: 'm', mode: 'paraphrase' }, seededRng(1))).rejects.toThrow(/answered HTTP 500/);
    status = 200;
    await expect(llmAttack('x', { url: 'ftp://x', model: 'm', mode: 'paraphrase' }, seededRng(1))).rejects.toThrow(/http/);
    await expect(llmAttack('x', { url: 'http://127.0.0.1:9/v1', model: 'm', mode: 'paraphrase', timeoutMs: 2000 }, seededRng(1))).rejects.toThrow(/unreachable/);
  });
});

function levenshtein(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev = new Int32Array(n + 1).map((_, j) => j);
  let cur = new Int32Array(n + 1);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}
