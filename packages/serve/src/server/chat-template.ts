/**
 * Chat messages → one plain-text prompt (docs/SERVE.md §Chat template).
 *
 *   System: <content>\n        (role system or developer)
 *   User: <content>\n
 *   Assistant: <content>\n
 *   …
 *   Assistant:                 (the model continues from here)
 *
 * The built-in model is a plain n-gram model with no chat training, so a simple,
 * documented template beats an imitation of any vendor's special tokens. The
 * generated continuation stops at the start of a new turn (CHAT_STOPS) and its
 * leading whitespace is dropped (the model writes " Hello" after "Assistant:").
 */
import type { ChatMessage } from './schemas.js';

const LABEL: Record<ChatMessage['role'], string> = {
  system: 'System',
  developer: 'System',
  user: 'User',
  assistant: 'Assistant',
};

/** Sequences that end an assistant turn, in addition to the request's own stops. */
export const CHAT_STOPS = ['\nUser:', '\nSystem:', '\nAssistant:'] as const;

export function messageText(m: ChatMessage): string {
  return typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('');
}

export function renderChat(messages: readonly ChatMessage[]): string {
  let out = '';
  for (const m of messages) out += `${LABEL[m.role]}: ${messageText(m)}\n`;
  return `${out}Assistant:`;
}
