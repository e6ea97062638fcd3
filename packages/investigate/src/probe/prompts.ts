/** Prompt sources for `probe`: a file (JSONL or plain lines) or the built-in prompt set. */
import { promptSet } from '@tracemark/corpora';
import { firstLine, usage, readJsonlTexts, readTextFile } from '@tracemark/detector';
import type { ProbePrompt } from './run.js';

/** JSONL ({"id"?, "<field>"}) by extension .jsonl/.ndjson(.gz); otherwise one prompt per non-blank line. */
export function promptsFromFile(path: string, field: string): ProbePrompt[] {
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path)) {
    return readJsonlTexts(path, field, 'prompts file').map((r) => ({ id: r.id ?? `line-${r.line}`, prompt: r.text }));
  }
  const out: ProbePrompt[] = [];
  readTextFile(path, 'prompts file')
    .split('\n')
    .forEach((l, i) => {
      const t = l.replace(/\r$/, '');
      if (t.trim() !== '') out.push({ id: `line-${i + 1}`, prompt: t });
    });
  return out;
}

/** n prompts from @tracemark/corpora's held-out split, ids "builtin-<seed>-<i>". */
export function builtinPrompts(n: number, seed: number): ProbePrompt[] {
  let ps: string[];
  try {
    ps = promptSet(n, seed);
  } catch (e) {
    throw usage(firstLine(e));
  }
  const w = String(Math.max(0, n - 1)).length;
  return ps.map((prompt, i) => ({ id: `builtin-${seed}-${String(i).padStart(w, '0')}`, prompt }));
}
