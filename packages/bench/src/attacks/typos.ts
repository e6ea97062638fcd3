/**
 * Character typos: each ASCII letter is hit independently with probability `rate`;
 * a hit becomes one of four keyboard slips, chosen uniformly —
 * substitute a QWERTY neighbour, delete the letter, insert a neighbour after it,
 * or transpose it with the next letter (when the next character is a letter; the
 * moved letter is then not hit again). Case is kept. Other characters are
 * untouched, so a text with astral characters stays well-formed.
 */
import { checkRate, checkText, pick, randInt, type AttackOutcome, type Rng } from './common.js';

export interface TypoParams {
  /** Probability that a letter gets a typo. */
  rate: number;
}

const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const NEIGHBOURS: Record<string, string> = {};
for (let r = 0; r < ROWS.length; r++) {
  const row = ROWS[r]!;
  for (let c = 0; c < row.length; c++) {
    let n = '';
    for (const [dr, dc] of [[0, -1], [0, 1], [-1, 0], [-1, 1], [1, -1], [1, 0]] as const) {
      const rr = ROWS[r + dr];
      const ch = rr?.[c + dc];
      if (ch !== undefined) n += ch;
    }
    NEIGHBOURS[row[c]!] = n;
  }
}

const isLetter = (ch: string | undefined): ch is string => ch !== undefined && /^[A-Za-z]$/.test(ch);

function neighbour(ch: string, rng: Rng): string {
  const lower = ch.toLowerCase();
  const n = pick(rng, [...NEIGHBOURS[lower]!]);
  return ch === lower ? n : n.toUpperCase();
}

export function typosDetailed(text: string, params: TypoParams, rng: Rng): AttackOutcome {
  checkText('typo', text);
  const p = checkRate('typo', params?.rate);
  const cps = Array.from(text); // code points: never splits a surrogate pair
  let out = '';
  let eligible = 0, changed = 0;
  for (let i = 0; i < cps.length; i++) {
    const ch = cps[i]!;
    if (!isLetter(ch)) {
      out += ch;
      continue;
    }
    eligible++;
    if (!(rng() < p)) {
      out += ch;
      continue;
    }
    changed++;
    const op = randInt(rng, 4);
    if (op === 0) out += neighbour(ch, rng);
    else if (op === 1) out += '';
    else if (op === 2) out += ch + neighbour(ch, rng);
    else {
      const next = cps[i + 1];
      if (isLetter(next) && next !== ch) {
        out += next + ch;
        eligible++; // the moved letter was a candidate too
        i++;
      } else {
        out += neighbour(ch, rng);
      }
    }
  }
  return { text: out, eligible, changed };
}

export function typos(text: string, params: TypoParams, rng: Rng): string {
  return typosDetailed(text, params, rng).text;
}
