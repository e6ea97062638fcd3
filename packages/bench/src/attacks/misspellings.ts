/**
 * Common misspellings: words found in a small built-in table of frequent English
 * misspellings (the kind spell checkers list: "recieve", "seperate", "untill") are
 * replaced, each independently with probability `rate`, keeping the word's case.
 */
import { checkRate, checkText, LATIN_WORD, matchCase, type AttackOutcome, type Rng } from './common.js';

export interface MisspellingParams {
  /** Probability that a word found in the table is misspelled. */
  rate: number;
}

/** correct → common misspelling (lower case). */
export const MISSPELLINGS: Readonly<Record<string, string>> = {
  about: 'abuot', absence: 'absense', accept: 'excpet', accommodate: 'accomodate', achieve: 'acheive',
  across: 'accross', actually: 'actualy', address: 'adress', again: 'agian', against: 'aginst',
  already: 'allready', although: 'altho', always: 'allways', amateur: 'amatuer', apparent: 'apparant',
  argument: 'arguement', around: 'arround', basically: 'basicly', because: 'becuase', before: 'befor',
  beginning: 'begining', believe: 'beleive', between: 'betwen', business: 'buisness', calendar: 'calender',
  certain: 'certian', change: 'chnage', coming: 'comming', committee: 'commitee', completely: 'completly',
  could: 'coud', definitely: 'definately', different: 'diffrent', disappear: 'dissapear', early: 'erly',
  embarrass: 'embarass', environment: 'enviroment', especially: 'especialy', every: 'evry', exactly: 'exactley',
  existence: 'existance', experience: 'experiance', family: 'famliy', finally: 'finaly', foreign: 'foriegn',
  forty: 'fourty', friend: 'freind', further: 'futher', government: 'goverment', grammar: 'grammer',
  happened: 'happend', having: 'haveing', heard: 'herad', height: 'heighth', immediately: 'immediatly',
  independent: 'independant', interest: 'intrest', island: 'iland', knowledge: 'knowlege', language: 'langauge',
  later: 'latter', length: 'lenght', library: 'libary', little: 'litle', lose: 'loose',
  many: 'meny', might: 'mite', necessary: 'neccessary', neighbour: 'nieghbor', neither: 'niether',
  noticeable: 'noticable', occasion: 'ocassion', occurred: 'occured', occurrence: 'occurence', often: 'offen',
  other: 'othr', people: 'poeple', perhaps: 'perhasp', piece: 'peice', possible: 'possable',
  probably: 'probly', process: 'proccess', publicly: 'publically', really: 'realy', receive: 'recieve',
  recommend: 'recomend', referred: 'refered', relevant: 'relevent', religious: 'religous', remember: 'rember',
  right: 'rigth', said: 'siad', school: 'shcool', science: 'sciense', separate: 'seperate',
  should: 'shoud', similar: 'similiar', since: 'sence', something: 'somthing', special: 'speical',
  state: 'sate', still: 'stil', success: 'sucess', surprise: 'suprise', than: 'then',
  their: 'thier', themselves: 'themselfs', there: 'ther', therefore: 'therefor', they: 'tehy',
  thought: 'thougt', through: 'throught', together: 'togeather', tomorrow: 'tommorow', truly: 'truely',
  until: 'untill', usually: 'usualy', very: 'verry', weird: 'wierd', were: 'wer',
  when: 'wen', where: 'were', which: 'wich', while: 'whilst', whether: 'wether',
  with: 'wiht', without: 'whithout', would: 'woud', writing: 'writting', written: 'writen',
  years: 'yeras', your: 'youre',
};

export function misspellingsDetailed(text: string, params: MisspellingParams, rng: Rng): AttackOutcome {
  checkText('misspell', text);
  const p = checkRate('misspell', params?.rate);
  let eligible = 0, changed = 0;
  const out = text.replace(LATIN_WORD, (w) => {
    const m = Object.hasOwn(MISSPELLINGS, w.toLowerCase()) ? MISSPELLINGS[w.toLowerCase()] : undefined;
    if (m === undefined) return w;
    eligible++;
    if (!(rng() < p)) return w;
    changed++;
    return matchCase(m, w);
  });
  return { text: out, eligible, changed };
}

export function misspellings(text: string, params: MisspellingParams, rng: Rng): string {
  return misspellingsDetailed(text, params, rng).text;
}
