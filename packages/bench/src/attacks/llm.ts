/**
 * LLM paraphrase and round-trip translation: pluggable attacks that call an
 * OpenAI-compatible chat-completions endpoint (`--paraphrase-url`, e.g.
 * http://127.0.0.1:8000/v1, and `--paraphrase-model`). Off by default: the
 * benchmark ships no model that could paraphrase, and results then depend on the
 * endpoint (which is recorded in the results, without any API key).
 *
 * Requests use temperature 0 and a `seed` drawn from the attack's rng, so a
 * deterministic server gives deterministic results. The API key, if any, comes
 * from the environment variable TRACEMARK_PARAPHRASE_API_KEY and is sent only in
 * the Authorization header.
 */
import { AttackError, checkText, randInt, type Rng } from './common.js';

export type LlmMode = 'paraphrase' | 'translate';

export interface LlmParams {
  /** Base URL of the API (…/v1) or the full …/chat/completions URL. */
  url: string;
  model: string;
  mode: LlmMode;
  /** Pivot language of the round trip (translate mode; default French). */
  language?: string;
  apiKey?: string;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** For tests: a fetch implementation. */
  fetch?: typeof fetch;
}

export function chatUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AttackError(`--paraphrase-url is not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AttackError(`--paraphrase-url must be http(s): ${url}`);
  const s = u.toString().replace(/\/+$/, '');
  return s.endsWith('/chat/completions') ? s : `${s}/chat/completions`;
}

async function chat(p: LlmParams, system: string, user: string, seed: number): Promise<string> {
  const f = p.fetch ?? fetch;
  const url = chatUrl(p.url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (p.apiKey) headers.authorization = `Bearer ${p.apiKey}`;
  let res: Response;
  try {
    res = await f(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: p.model,
        temperature: 0,
        seed,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
      }),
      signal: AbortSignal.timeout(p.timeoutMs ?? 60_000),
    });
  } catch (e) {
    throw new AttackError(`${p.mode} endpoint ${url} unreachable: ${(e as Error).message}`);
  }
  if (!res.ok) throw new AttackError(`${p.mode} endpoint ${url} answered HTTP ${res.status}`);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new AttackError(`${p.mode} endpoint ${url} did not return JSON`);
  }
  const content = (body as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new AttackError(`${p.mode} endpoint ${url} returned no choices[0].message.content`);
  return content.trim();
}

/** Paraphrase (or translate there and back) with the endpoint. */
export async function llmAttack(text: string, params: LlmParams, rng: Rng): Promise<string> {
  checkText(params?.mode ?? 'paraphrase', text);
  if (!params?.url || !params.model) throw new AttackError('paraphrase/translate attacks need --paraphrase-url and --paraphrase-model');
  if (text.trim() === '') return text;
  const seed = randInt(rng, 2 ** 31);
  if (params.mode === 'paraphrase') {
    return chat(params, 'Paraphrase the user\'s text. Keep its meaning and length. Reply with the paraphrase only.', text, seed);
  }
  if (params.mode === 'translate') {
    const lang = params.language ?? 'French';
    const there = await chat(params, `Translate the user's text into ${lang}. Reply with the translation only.`, text, seed);
    return chat(params, `Translate the user's text into English. Reply with the translation only.`, there, seed);
  }
  throw new AttackError(`unknown LLM attack mode ${JSON.stringify((params as { mode: unknown }).mode)}`);
}
