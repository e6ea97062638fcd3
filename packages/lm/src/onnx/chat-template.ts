/**
 * A local model directory's own chat template, rendered by transformers.js
 * (`apply_chat_template`, which runs the template with @huggingface/jinja).
 *
 * Where the template is read from, first found wins — the order Hugging Face
 * transformers uses when it saves a tokenizer:
 *   chat_template.jinja      the raw template (newer exports);
 *   chat_template.json       {"chat_template": "<template>"};
 *   tokenizer_config.json    "chat_template": a string, or a list of {name, template}
 *                            (transformers.js picks "default").
 * A directory with none of these has no template (callers keep their own).
 *
 * The end of the assistant's turn is a token, not a string: chat templates close a
 * turn with a special token (`<|im_end|>`, `<|eot_id|>`, `<end_of_turn>`) that a
 * decode skips, so a string stop would never match. The ids are the model's EOS
 * ids from config.json and generation_config.json (where instruct exports list
 * their end-of-turn tokens) and the tokenizer's eos_token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { firstLine } from './local.js';

export interface ChatTemplateMessage {
  role: string;
  content: string;
}

export interface ModelChatTemplate {
  /** The file the template was read from. */
  source: string;
  /** Token ids that end the assistant's turn (sorted, distinct). */
  endOfTurnTokens: readonly number[];
  /**
   * The prompt for `messages`, ending where the assistant's reply begins
   * (add_generation_prompt). Throws ChatTemplateError when the template refuses
   * the conversation (e.g. its `raise_exception('roles must alternate')`).
   */
  render(messages: readonly ChatTemplateMessage[]): string;
}

/** The template could not be read or parsed, or refused a conversation. */
export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
  /** The template's (or the reader's) own words, without the file path: what a server may tell its client. */
  readonly reason: string;
  constructor(message: string, reason: string = message) {
    super(message);
    this.reason = reason;
  }
}

function readJsonObject(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ChatTemplateError(`${path} is not valid JSON: ${firstLine(e)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ChatTemplateError(`${path} must hold a JSON object`);
  return v as Record<string, unknown>;
}

/** The template text (undefined: let the tokenizer use tokenizer_config.json's) and its file, or null. */
function findTemplate(dir: string): { source: string; text: string | undefined } | null {
  const jinja = join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return { source: jinja, text: readFileSync(jinja, 'utf8') };
  const json = join(dir, 'chat_template.json');
  if (existsSync(json)) {
    const t = readJsonObject(json).chat_template;
    if (typeof t !== 'string') throw new ChatTemplateError(`${json} has no "chat_template" string`);
    return { source: json, text: t };
  }
  const cfg = join(dir, 'tokenizer_config.json');
  if (existsSync(cfg)) {
    const t = readJsonObject(cfg).chat_template;
    if (t !== undefined && t !== null) return { source: cfg, text: undefined };
  }
  return null;
}

function ids(v: unknown): number[] {
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0);
}

/** EOS ids of config.json and generation_config.json, and the tokenizer's eos_token. */
export function endOfTurnTokens(dir: string, tokenizer: PreTrainedTokenizer): number[] {
  const out = new Set<number>();
  for (const f of ['config.json', 'generation_config.json']) {
    const p = join(dir, f);
    if (existsSync(p)) for (const id of ids(readJsonObject(p).eos_token_id)) out.add(id);
  }
  const tokEos = (tokenizer as unknown as { eos_token_id?: unknown }).eos_token_id;
  for (const id of ids(tokEos)) out.add(id);
  return [...out].sort((a, b) => a - b);
}

/**
 * The chat template of the model in `dir` (null when it has none), rendered with
 * that model's tokenizer. The template is tried once on a one-message conversation,
 * so a template that does not parse fails here, at load, naming its file.
 */
export function loadChatTemplate(dir: string, tokenizer: PreTrainedTokenizer): ModelChatTemplate | null {
  const found = findTemplate(dir);
  if (found === null) return null;
  const { source, text } = found;
  const eot = endOfTurnTokens(dir, tokenizer);
  if (eot.length === 0) throw new ChatTemplateError(`${source} has a chat template but the model states no eos_token_id: the end of a turn is unknown`);
  const render = (messages: readonly ChatTemplateMessage[]): string => {
    // Templates know system/user/assistant; OpenAI's "developer" is the system turn.
    const conversation = messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.content }));
    let out: unknown;
    try {
      out = tokenizer.apply_chat_template(conversation, {
        tokenize: false,
        add_generation_prompt: true,
        ...(text !== undefined ? { chat_template: text } : {}),
      });
    } catch (e) {
      throw new ChatTemplateError(`the chat template in ${source} failed: ${firstLine(e)}`, firstLine(e));
    }
    if (typeof out !== 'string') throw new ChatTemplateError(`the chat template in ${source} did not render a string`);
    return out;
  };
  render([{ role: 'user', content: 'hello' }]);
  return { source, endOfTurnTokens: Object.freeze(eot), render };
}
