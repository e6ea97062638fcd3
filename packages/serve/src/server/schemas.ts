/**
 * Request bodies of /v1/completions and /v1/chat/completions, validated with zod.
 *
 * Unknown fields are refused (as OpenAI does: "Unrecognized request argument"), and
 * OpenAI features this server does not implement are accepted only at their neutral
 * value (e.g. presence_penalty 0, echo false), so a client never silently gets
 * something other than what it asked for. `logprobs` (chat: with `top_logprobs` ≤ 20;
 * completions: the number of alternatives, ≤ 20) are served: logprobs.ts.
 */
import { z } from 'zod';
import { ApiError } from './errors.js';
import { MAX_TOP_LOGPROBS } from './logprobs.js';

/** Hard limits, independent of the server's configurable defaults. */
export const LIMITS = {
  maxN: 8,
  maxPrompts: 16,
  maxStops: 4,
  maxStopChars: 200,
  maxMessages: 256,
} as const;

const nullish = <T extends z.ZodType>(t: T) => t.nullable().optional();

const neutral = (name: string, ok: (v: unknown) => boolean) =>
  z.unknown().refine((v) => v === undefined || v === null || ok(v), { error: `${name} is not supported by this server` }).optional();

const stop = nullish(
  z.union(
    [
      z.string().min(1, 'stop strings must not be empty').max(LIMITS.maxStopChars, `stop strings are at most ${LIMITS.maxStopChars} characters`),
      z
        .array(z.string().min(1, 'stop strings must not be empty').max(LIMITS.maxStopChars, `stop strings are at most ${LIMITS.maxStopChars} characters`))
        .max(LIMITS.maxStops, `at most ${LIMITS.maxStops} stop sequences`),
    ],
    { error: 'stop must be a string or an array of strings' },
  ),
);

const common = {
  model: z.string({ error: 'model must be a string' }).min(1, 'model must not be empty'),
  max_tokens: nullish(z.number({ error: 'max_tokens must be a number' }).int('max_tokens must be an integer').min(1, 'max_tokens must be ≥ 1')),
  temperature: nullish(z.number({ error: 'temperature must be a number' }).min(0, 'temperature must be in [0, 2]').max(2, 'temperature must be in [0, 2]')),
  top_p: nullish(z.number({ error: 'top_p must be a number' }).gt(0, 'top_p must be in (0, 1]').max(1, 'top_p must be in (0, 1]')),
  n: nullish(z.number({ error: 'n must be a number' }).int('n must be an integer').min(1, 'n must be ≥ 1').max(LIMITS.maxN, `n must be ≤ ${LIMITS.maxN}`)),
  stream: nullish(z.boolean({ error: 'stream must be a boolean' })),
  stream_options: nullish(z.strictObject({ include_usage: z.boolean({ error: 'include_usage must be a boolean' }).optional() })),
  stop,
  seed: nullish(z.number({ error: 'seed must be a number' }).int('seed must be an integer').min(-(2 ** 53) + 1).max(2 ** 53 - 1)),
  user: z.string({ error: 'user must be a string' }).max(256, 'user must be at most 256 characters').optional(),
  presence_penalty: neutral('presence_penalty ≠ 0', (v) => v === 0),
  frequency_penalty: neutral('frequency_penalty ≠ 0', (v) => v === 0),
  logit_bias: neutral('logit_bias', (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 0),
};

export const CompletionRequestSchema = z.strictObject({
  ...common,
  prompt: z.union(
    [
      z.string(),
      z.array(z.string()).min(1, 'prompt must not be an empty array').max(LIMITS.maxPrompts, `at most ${LIMITS.maxPrompts} prompts per request`),
    ],
    { error: 'prompt must be a string or an array of strings (token-id prompts are not supported)' },
  ),
  echo: neutral('echo', (v) => v === false),
  logprobs: nullish(
    z
      .number({ error: 'logprobs must be a number' })
      .int('logprobs must be an integer')
      .min(0, `logprobs must be in [0, ${MAX_TOP_LOGPROBS}]`)
      .max(MAX_TOP_LOGPROBS, `logprobs must be in [0, ${MAX_TOP_LOGPROBS}]`),
  ),
  best_of: neutral('best_of ≠ 1', (v) => v === 1),
  suffix: neutral('suffix', (v) => v === ''),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const MessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant'], { error: 'role must be one of system, developer, user, assistant' }),
  content: z.union([z.string(), z.array(textPart)], {
    error: 'content must be a string or an array of {type:"text", text} parts',
  }),
  name: z.string().max(64, 'name must be at most 64 characters').optional(),
});
export type ChatMessage = z.infer<typeof MessageSchema>;

export const ChatRequestSchema = z.strictObject({
  ...common,
  messages: z
    .array(MessageSchema, { error: 'messages must be an array' })
    .min(1, 'messages must not be empty')
    .max(LIMITS.maxMessages, `at most ${LIMITS.maxMessages} messages`),
  max_completion_tokens: nullish(
    z.number({ error: 'max_completion_tokens must be a number' }).int('max_completion_tokens must be an integer').min(1, 'max_completion_tokens must be ≥ 1'),
  ),
  logprobs: nullish(z.boolean({ error: 'logprobs must be a boolean' })),
  top_logprobs: nullish(
    z
      .number({ error: 'top_logprobs must be a number' })
      .int('top_logprobs must be an integer')
      .min(0, `top_logprobs must be in [0, ${MAX_TOP_LOGPROBS}]`)
      .max(MAX_TOP_LOGPROBS, `top_logprobs must be in [0, ${MAX_TOP_LOGPROBS}]`),
  ),
  response_format: neutral('response_format other than text', (v) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'text'),
  tools: neutral('tools', (v) => Array.isArray(v) && v.length === 0),
  tool_choice: neutral('tool_choice', (v) => v === 'none'),
  parallel_tool_calls: neutral('parallel_tool_calls', () => true),
  store: neutral('store', (v) => v === false),
  metadata: neutral('metadata', () => true),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** Parse or throw a 400 ApiError naming the first bad parameter. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a JSON object', 'invalid_request_error', null, 'invalid_body');
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    throw new ApiError(400, `Unrecognized request argument supplied: ${keys.join(', ')}`, 'invalid_request_error', keys[0] ?? null, 'unknown_parameter');
  }
  const param = issue.path.map(String).join('.') || null;
  if (issue.code === 'invalid_type' && issue.path.length === 1 && (body as Record<string, unknown>)[String(issue.path[0])] === undefined) {
    throw new ApiError(400, `Missing required parameter: '${param}'.`, 'invalid_request_error', param, 'missing_required_parameter');
  }
  throw new ApiError(400, `Invalid '${param ?? 'body'}': ${issue.message}`, 'invalid_request_error', param, 'invalid_value');
}
