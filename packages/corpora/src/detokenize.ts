/**
 * Turn Brown-corpus tokens (tags already removed) back into ordinary English text.
 *
 * The corpus is tokenized in the Penn/Brown style: punctuation is split off, double
 * quotes are written `` and '', parentheses are separate tokens. Joining with single
 * spaces would leave "word , word" everywhere, which is not how people write and
 * would teach the language model odd token sequences; these rules undo it.
 */

/** Tokens written directly after the previous token (no space before). */
const ATTACH_LEFT = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", '%']);
/** Tokens after which the next token follows directly (no space after). */
const ATTACH_RIGHT = new Set(['(', '[', '``', '$']);

/**
 * Join the tokens of one paragraph. `quoteOpen` tracks the ambiguous single-quote
 * token ' (open or close) within the paragraph: it alternates, starting with open.
 */
export function detokenize(input: readonly string[]): string {
  const tokens = americanQuotes(input);
  let out = '';
  let glueNext = true; // no space before the first token
  let singleOpen = false;
  for (const tok of tokens) {
    let text = tok;
    let attachLeft = ATTACH_LEFT.has(tok);
    let attachRight = ATTACH_RIGHT.has(tok);
    if (tok === '``') text = '"';
    else if (tok === "''") text = '"';
    else if (tok === "'") {
      // An opening quote glues to the next word, a closing one to the previous.
      if (singleOpen) attachLeft = true;
      else attachRight = true;
      singleOpen = !singleOpen;
    }
    // "Jr." followed by the sentence's own period: one period is enough.
    if (tok === '.' && out.endsWith('.')) continue;
    if (!(glueNext || attachLeft)) out += ' ';
    out += text;
    glueNext = attachRight;
  }
  return out;
}

/**
 * The corpus writes `received '' ,`; American style puts the comma or period inside:
 * `received ,''`. After a quoted question or exclamation (`Charley ? '' ,`) the comma
 * is dropped, as it would be in print.
 */
function americanQuotes(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const n = out.length;
    if ((t === ',' || t === '.') && out[n - 1] === "''") {
      if (out[n - 2] === '?' || out[n - 2] === '!') continue;
      out[n - 1] = t;
      out.push("''");
    } else out.push(t);
  }
  return out;
}
