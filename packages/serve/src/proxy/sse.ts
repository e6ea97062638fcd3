/**
 * Server-sent events from the upstream, split into whole events as the bytes arrive,
 * so each event can be checked and forwarded as soon as it is complete (nothing waits
 * for the end of the stream). Line ends are normalised to \n (CRLF and CR are valid
 * SSE too); the forwarded event is otherwise the upstream's text, byte for byte.
 */

export interface SseEvent {
  /** The whole event as forwarded, ending with its blank line. */
  raw: string;
  /** Its data lines joined with \n (null: no data field, e.g. a comment). */
  data: string | null;
}

export class SseSplitter {
  readonly #decoder = new TextDecoder('utf-8');
  #buf = '';
  #cr = '';

  /** Feed bytes; returns the events they completed. */
  push(bytes: Uint8Array): SseEvent[] {
    this.#buf += this.#cr + this.#decoder.decode(bytes, { stream: true });
    // A CR at the very end may be the first half of a CRLF cut by the chunking: keep it back.
    this.#cr = this.#buf.endsWith('\r') ? '\r' : '';
    if (this.#cr) this.#buf = this.#buf.slice(0, -1);
    if (this.#buf.includes('\r')) this.#buf = this.#buf.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let i: number;
    while ((i = this.#buf.indexOf('\n\n')) >= 0) {
      const block = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 2);
      if (block.length === 0) continue;
      out.push({ raw: `${block}\n\n`, data: dataOf(block) });
    }
    return out;
  }

  /** Bytes of an event the stream ended in the middle of ('' if none). */
  get pending(): string {
    return this.#buf + this.#cr;
  }
}

function dataOf(block: string): string | null {
  let data: string[] | null = null;
  for (const line of block.split('\n')) {
    if (line === 'data' || line.startsWith('data:')) {
      const v = line.slice(5);
      (data ??= []).push(v.startsWith(' ') ? v.slice(1) : v);
    }
  }
  return data === null ? null : data.join('\n');
}

/** An OpenAI-shaped error as the last event of a stream (the openai client throws it as an APIError). */
export function errorEvent(body: unknown): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}
