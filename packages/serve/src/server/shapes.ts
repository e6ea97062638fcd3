/**
 * OpenAI response and chunk objects, built in one place so the completions and chat
 * endpoints (streaming or not) produce exactly the shapes clients parse.
 */
import { randomBytes } from 'node:crypto';

export type Endpoint = 'completions' | 'chat.completions';
export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** `cmpl-…` / `chatcmpl-…` with 144 random bits: unique without coordination. */
export function responseId(endpoint: Endpoint): string {
  const r = randomBytes(18).toString('base64url');
  return endpoint === 'completions' ? `cmpl-${r}` : `chatcmpl-${r}`;
}

export interface Head {
  id: string;
  created: number;
  model: string;
}

export interface DoneChoice {
  index: number;
  text: string;
  finishReason: FinishReason;
  /** The choice's `logprobs` object (logprobs.ts), or null when not asked. */
  logprobs?: unknown;
}

export function completionResponse(h: Head, choices: DoneChoice[], u: Usage): unknown {
  return {
    id: h.id,
    object: 'text_completion',
    created: h.created,
    model: h.model,
    system_fingerprint: null,
    choices: choices.map((c) => ({ index: c.index, text: c.text, logprobs: c.logprobs ?? null, finish_reason: c.finishReason })),
    usage: u,
  };
}

export function chatResponse(h: Head, choices: DoneChoice[], u: Usage): unknown {
  return {
    id: h.id,
    object: 'chat.completion',
    created: h.created,
    model: h.model,
    system_fingerprint: null,
    choices: choices.map((c) => ({
      index: c.index,
      message: { role: 'assistant', content: c.text, refusal: null },
      logprobs: c.logprobs ?? null,
      finish_reason: c.finishReason,
    })),
    usage: u,
  };
}

/**
 * One streamed chunk for choice `index`. `text` is the delta; `finishReason` is set
 * only on the choice's last chunk; `role` only on a chat choice's first chunk.
 * With stream_options.include_usage, every chunk carries `usage: null` except the last.
 */
export function chunk(
  endpoint: Endpoint,
  h: Head,
  index: number,
  text: string,
  finishReason: FinishReason | null,
  opts: { role?: boolean; includeUsage?: boolean; logprobs?: unknown } = {},
): unknown {
  const logprobs = opts.logprobs ?? null;
  const base = { id: h.id, created: h.created, model: h.model, system_fingerprint: null };
  const extra = opts.includeUsage ? { usage: null } : {};
  if (endpoint === 'completions') {
    return {
      ...base,
      object: 'text_completion',
      choices: [{ index, text, logprobs, finish_reason: finishReason }],
      ...extra,
    };
  }
  const delta: Record<string, string> = {};
  if (opts.role) delta.role = 'assistant';
  if (text.length > 0 || opts.role) delta.content = text;
  return {
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index, delta, logprobs, finish_reason: finishReason }],
    ...extra,
  };
}

/** The final usage-only chunk (stream_options.include_usage). */
export function usageChunk(endpoint: Endpoint, h: Head, u: Usage): unknown {
  return {
    id: h.id,
    created: h.created,
    model: h.model,
    system_fingerprint: null,
    object: endpoint === 'completions' ? 'text_completion' : 'chat.completion.chunk',
    choices: [],
    usage: u,
  };
}

export function modelObject(id: string, created: number): unknown {
  return { id, object: 'model', created, owned_by: 'tracemark' };
}
