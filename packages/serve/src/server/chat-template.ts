/**
 * Chat messages → one prompt (docs/SERVE.md §Chat template). An ONNX model whose
 * directory has a chat template is prompted with it (lm's loadChatTemplate) and
 * stops on its end-of-turn tokens; every other model gets the plain template:
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
import { ChatTemplateError } from '@tracemark/lm';
import { ApiError } from './errors.js';
import type { ServedModel } from './model.js';
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

/** What a chat request generates from, and what ends the assistant's turn. */
export interface ChatPrompt {
  text: string;
  /** Stop strings added to the request's own. */
  stops: readonly string[];
  /** Token ids that end the turn (besides the model's eos). */
  stopTokens: readonly number[];
  /** Drop the reply's leading whitespace (the plain template's "Assistant:" is followed by " Hello"). */
  trimStart: boolean;
}

export function chatPrompt(model: ServedModel, messages: readonly ChatMessage[]): ChatPrompt {
  const template = model.chatTemplate;
  if (template === undefined) return { text: renderChat(messages), stops: CHAT_STOPS, stopTokens: [], trimStart: true };
  let text: string;
  try {
    text = template.render(messages.map((m) => ({ role: m.role, content: messageText(m) })));
  } catch (e) {
    // The template refused this conversation (e.g. roles that do not alternate): the client's to fix.
    // The client is told the template's words, not where the server keeps its files.
    if (e instanceof ChatTemplateError) {
      throw new ApiError(400, `the model's chat template refused these messages: ${e.reason}`, 'invalid_request_error', 'messages', 'invalid_value');
    }
    throw e;
  }
  return { text, stops: [], stopTokens: template.endOfTurnTokens, trimStart: false };
}
