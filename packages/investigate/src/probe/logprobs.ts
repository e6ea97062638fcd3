/**
 * `probe --logprobs k`: what to ask for, and the returned logprobs of a choice normalised
 * to the transcript's per-token entries (transcript.ts TokenLogprobs) from either shape —
 * chat (`logprobs.content[]`: token, logprob, bytes, top_logprobs[]) or completions (the
 * legacy parallel arrays tokens / token_logprobs / top_logprobs{token: logprob}). The
 * entries are validated with zod when the transcript is read; here only their shape is
 * taken apart, and anything unrecognised makes the answer's logprobs absent (never guessed).
 */
import type { Endpoint } from './client.js';
import type { TokenLogprobs } from './transcript.js';

/** The request fields that ask for k alternatives per token. */
export function logprobsFields(endpoint: Endpoint, k: number): Record<string, unknown> {
  return endpoint === 'chat' ? { logprobs: true, top_logprobs: k } : { logprobs: k };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function bytesOf(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? (v as number[]) : null;
}

/** OpenAI writes a token that is part of a character as `bytes:\xNN…`: its bytes, else null. */
export function bytesFromTokenText(token: string): number[] | null {
  const m = /^bytes:((?:\\x[0-9a-fA-F]{2})+)$/.exec(token);
  if (!m) return null;
  return m[1]!.split('\\x').slice(1).map((h) => parseInt(h, 16));
}

/** The logprobs of one choice object, or null when it has none in a shape recognised here. */
export function choiceLogprobs(endpoint: Endpoint, choice: unknown): TokenLogprobs[] | null {
  const lp = (choice as { logprobs?: unknown })?.logprobs;
  if (lp === null || typeof lp !== 'object') return null;
  if (endpoint === 'chat') {
    const content = (lp as { content?: unknown }).content;
    if (!Array.isArray(content)) return null;
    const out: TokenLogprobs[] = [];
    for (const e of content) {
      const o = e as { token?: unknown; logprob?: unknown; bytes?: unknown; top_logprobs?: unknown };
      if (typeof o?.token !== 'string') return null;
      const top = Array.isArray(o.top_logprobs) ? o.top_logprobs : [];
      const alts: TokenLogprobs['top'] = [];
      for (const t of top) {
        const a = t as { token?: unknown; logprob?: unknown; bytes?: unknown };
        if (typeof a?.token !== 'string') return null;
        alts.push({ token: a.token, bytes: bytesOf(a.bytes), logprob: num(a.logprob) });
      }
      out.push({ token: o.token, bytes: bytesOf(o.bytes), logprob: num(o.logprob), top: alts });
    }
    return out;
  }
  const o = lp as { tokens?: unknown; token_logprobs?: unknown; top_logprobs?: unknown };
  if (!Array.isArray(o.tokens)) return null;
  const lps = Array.isArray(o.token_logprobs) ? o.token_logprobs : [];
  const tops = Array.isArray(o.top_logprobs) ? o.top_logprobs : [];
  const out: TokenLogprobs[] = [];
  for (let i = 0; i < o.tokens.length; i++) {
    const token = o.tokens[i];
    if (typeof token !== 'string') return null;
    const d = tops[i];
    const alts: TokenLogprobs['top'] =
      d !== null && typeof d === 'object' && !Array.isArray(d)
        ? Object.entries(d as Record<string, unknown>).map(([t, v]) => ({ token: t, bytes: bytesFromTokenText(t), logprob: num(v) }))
        : [];
    out.push({ token, bytes: bytesFromTokenText(token), logprob: num(lps[i]), top: alts });
  }
  return out;
}
