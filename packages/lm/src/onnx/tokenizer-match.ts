/**
 * Is a spec's tokenizer the tokenizer of the model that will embed with it? A
 * watermark embedded on one tokenizer's ids and detected on another's is not found,
 * and nothing else would say so: `generate` and `serve` refuse the pair up front,
 * with one line that says what to do.
 *
 * An `hf:<path>` spec names a directory relative to the working directory. When it
 * names a directory holding tokenizer.json here, that file must be the model's (the
 * same bytes, or the same JSON); when it names nothing here (a spec made elsewhere,
 * or the `hf:<directory name>` the loader assumes by default) it is accepted: the
 * model's own tokenizer is used, and detection will need `hf:<path>` to resolve to a
 * copy of that tokenizer where it runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const TOKENIZER_ID_PATH = /^[A-Za-z0-9._/-]+$/;

/** The `hf:` id a spec for the model in `dir` should carry: the path as typed, relative to here, or absolute. */
export function suggestedTokenizerId(dir: string): string {
  const abs = resolve(dir);
  const candidates = [dir.replace(/\/+$/, ''), relative(process.cwd(), abs) || '.', abs];
  const ok = candidates.find((c) => TOKENIZER_ID_PATH.test(c));
  return ok !== undefined ? `hf:${ok}` : 'hf:<a path to the model directory without spaces or other characters outside . _ / - letters digits>';
}

/** JSON with object keys sorted: two tokenizer.json files that differ only in layout compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sameTokenizerJson(a: string, b: string): boolean {
  const x = readFileSync(a);
  const y = readFileSync(b);
  if (x.equals(y)) return true;
  try {
    return canonical(JSON.parse(x.toString('utf8'))) === canonical(JSON.parse(y.toString('utf8')));
  } catch {
    return false;
  }
}

/**
 * Null when a spec with tokenizer `specTokenizer` can watermark the model in
 * `modelDir`; else the one-line reason and fix.
 */
export function specTokenizerMismatch(specTokenizer: string, modelDir: string): string | null {
  const suggestion = suggestedTokenizerId(modelDir);
  if (!specTokenizer.startsWith('hf:')) {
    return `the spec's tokenizer is ${specTokenizer} but the model in ${modelDir} uses its own tokenizer.json: create the spec with tracemark spec init --tokenizer ${suggestion}`;
  }
  const specDir = resolve(specTokenizer.slice(3));
  const specJson = join(specDir, 'tokenizer.json');
  const modelJson = join(resolve(modelDir), 'tokenizer.json');
  if (!existsSync(specDir) || !statSync(specDir).isDirectory() || !existsSync(specJson) || !existsSync(modelJson)) return null;
  if (sameTokenizerJson(specJson, modelJson)) return null;
  return `the spec's tokenizer ${specTokenizer} (${specJson}) is not the tokenizer of the model in ${modelDir}: create the spec with tracemark spec init --tokenizer ${suggestion}, or pass the --model the spec was made for`;
}
