/**
 * What the caller is receiving, choice by choice: the upstream's response body (JSON)
 * or its stream chunks, checked with zod (anything that is not an OpenAI completion
 * or chunk is a malformed upstream response), with the text, finish reason and — when
 * the upstream returns them (vLLM's `return_token_ids`) — the token ids of each choice.
 */
import { z } from 'zod';
import { UpstreamFault } from './upstream.js';

const ids = z.array(z.number().int().min(0).max(0xffffffff));
const content = z.looseObject({ content: z.string().nullish() });
const ChoiceSchema = z.looseObject({
  index: z.number().int().min(0).max(1 << 20),
  text: z.string().nullish(),
  message: content.nullish(),
  delta: content.nullish(),
  finish_reason: z.string().nullish(),
  token_ids: ids.nullish(),
});
const BodySchema = z.looseObject({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(ChoiceSchema),
});
/** An in-stream error event (OpenAI and vLLM send `{"error": {...}}`). */
const ErrorEventSchema = z.looseObject({ error: z.looseObject({ message: z.string().nullish() }) });

export interface ChoiceState {
  index: number;
  text: string;
  finishReason: string | null;
  /** The upstream's completion token ids (null: it returned none). */
  tokenIds: number[] | null;
}

export class ResponseAccumulator {
  upstreamId: string | null = null;
  model: string | null = null;
  readonly choices = new Map<number, ChoiceState>();

  /** A non-streamed body. Throws a malformed fault if it is not JSON or not a completion. */
  body(bytes: Buffer): void {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new UpstreamFault('malformed', 'the upstream response is not valid JSON');
    }
    this.#add(json, 'body');
  }

  /**
   * One stream event's data (not [DONE]). Returns the upstream's error object when the
   * event is an error event; throws a malformed fault on anything else unexpected.
   */
  chunk(data: string): { error: unknown } | null {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new UpstreamFault('malformed', 'the upstream sent a stream event that is not valid JSON');
    }
    const err = ErrorEventSchema.safeParse(json);
    if (err.success) return { error: err.data.error };
    this.#add(json, 'chunk');
    return null;
  }

  #add(json: unknown, as: 'body' | 'chunk'): void {
    const r = BodySchema.safeParse(json);
    if (!r.success) throw new UpstreamFault('malformed', `the upstream sent a ${as === 'body' ? 'response' : 'stream chunk'} that is not an OpenAI completion`);
    this.upstreamId ??= r.data.id ?? null;
    this.model ??= r.data.model ?? null;
    for (const c of r.data.choices) {
      let s = this.choices.get(c.index);
      if (!s) this.choices.set(c.index, (s = { index: c.index, text: '', finishReason: null, tokenIds: null }));
      const piece = as === 'body' ? (c.text ?? c.message?.content) : (c.text ?? c.delta?.content);
      if (piece) s.text += piece;
      if (c.finish_reason) s.finishReason = c.finish_reason;
      if (c.token_ids) (s.tokenIds ??= []).push(...c.token_ids);
    }
  }

  /** Choices in index order. */
  list(): ChoiceState[] {
    return [...this.choices.values()].sort((a, b) => a.index - b.index);
  }
}
