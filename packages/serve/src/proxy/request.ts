/**
 * A caller's generation request as the proxy reads it: only what it needs (model,
 * stream, the prompt or messages, the opt-out) is checked with zod; every other
 * parameter is the upstream's to judge and is forwarded unchanged.
 *
 * The opt-out: vLLM lets a request turn its watermark off (`watermarking: false`).
 * With `optOut: 'refuse'` (default) such a request is refused (400); with 'strip' the
 * `watermarking` field is removed before forwarding, whatever its value, so the
 * upstream's configured watermark applies.
 */
import { z } from 'zod';
import { ApiError } from '../server/errors.js';
import { parseRequest } from '../server/schemas.js';

export type Endpoint = 'completions' | 'chat.completions';
export type OptOutPolicy = 'refuse' | 'strip';

const common = {
  model: z.string({ error: 'model must be a string' }).min(1, 'model must not be empty'),
  stream: z.boolean({ error: 'stream must be a boolean' }).nullish(),
  n: z.number({ error: 'n must be a number' }).int('n must be an integer').min(1, 'n must be ≥ 1').max(128, 'n must be ≤ 128').nullish(),
};
const tokenIds = z.array(z.number().int().min(0));
const CompletionSchema = z.looseObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds.min(1), z.array(tokenIds.min(1)).min(1)], {
    error: 'prompt must be a string, an array of strings, or token ids',
  }),
});
const MessageSchema = z.looseObject({
  role: z.string({ error: 'role must be a string' }),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
});
const ChatSchema = z.looseObject({
  ...common,
  messages: z.array(MessageSchema, { error: 'messages must be an array' }).min(1, 'messages must not be empty'),
});

export interface ProxyRequest {
  endpoint: Endpoint;
  /** The body to forward (after the opt-out policy). */
  body: Record<string, unknown>;
  stream: boolean;
  n: number;
  /** The prompt texts (one for chat: the messages' text contents joined with \n). */
  prompts: string[];
  /** The request parameters to record: the forwarded body without prompt / messages. */
  params: string;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

export function parseProxyRequest(endpoint: Endpoint, json: unknown, optOut: OptOutPolicy): ProxyRequest {
  const schema = endpoint === 'completions' ? CompletionSchema : ChatSchema;
  const r = parseRequest(schema, json) as z.infer<typeof CompletionSchema> & z.infer<typeof ChatSchema>;
  const body = { ...(json as Record<string, unknown>) };
  if ('watermarking' in body) {
    if (optOut === 'strip') delete body.watermarking;
    else if (body.watermarking !== true) {
      throw new ApiError(400, 'this service does not allow turning the watermark off (watermarking)', 'invalid_request_error', 'watermarking', 'watermarking_required');
    }
  }
  let prompts: string[];
  if (endpoint === 'chat.completions') prompts = [r.messages.map((m) => textOf(m.content)).join('\n')];
  else if (typeof r.prompt === 'string') prompts = [r.prompt];
  else if (r.prompt.every((p) => typeof p === 'string')) prompts = r.prompt as string[];
  else if (r.prompt.every((p) => typeof p === 'number')) prompts = [JSON.stringify(r.prompt)];
  else prompts = (r.prompt as number[][]).map((p) => JSON.stringify(p));
  const { prompt: _p, messages: _m, ...rest } = body;
  return { endpoint, body, stream: r.stream === true, n: r.n ?? 1, prompts, params: JSON.stringify(rest) };
}
