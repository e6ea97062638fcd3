/**
 * The probe transcript: append-only JSONL, one line per answered prompt, each line
 * written with a single write(2) and fsync'd before the next prompt is counted as done.
 *
 * A crash can only leave a torn *last* line (no trailing newline, or not JSON): on
 * resume it is detected and truncated away, and its prompt is asked again. Any other
 * malformed line is an error with its line number (the file was edited or corrupted).
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { usage, ioMessage } from '@tracemark/detector';

const sha = z.string().regex(/^[0-9a-f]{64}$/);

export const UsageSchema = z
  .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional(), total_tokens: z.number().optional() })
  .passthrough();

/** One alternative the API listed at a position: its token text, bytes (when the API gives them) and natural-log probability. */
export const LogprobAltSchema = z.strictObject({ token: z.string(), bytes: z.array(z.number().int().min(0).max(255)).nullable(), logprob: z.number().nullable() });
/** One generated token with the alternatives listed at its position (`probe --logprobs`). */
export const TokenLogprobsSchema = z.strictObject({
  token: z.string(),
  bytes: z.array(z.number().int().min(0).max(255)).nullable(),
  logprob: z.number().nullable(),
  top: z.array(LogprobAltSchema),
});
export type TokenLogprobs = z.infer<typeof TokenLogprobsSchema>;

export const TranscriptLineSchema = z.strictObject({
  type: z.literal('tracemark-probe'),
  version: z.literal(1),
  promptId: z.string().min(1),
  prompt: z.string(),
  /** Which OpenAI-compatible endpoint was asked. */
  endpoint: z.enum(['chat', 'completions']),
  url: z.string(),
  model: z.string(),
  /** The JSON request body exactly as sent (never any credentials: those are headers). */
  request: z.record(z.string(), z.unknown()),
  /** SHA-256 of the request body bytes. */
  requestSha256: sha,
  status: z.number().int(),
  /** The raw response body and its SHA-256. */
  responseBody: z.string(),
  responseSha256: sha,
  /** The generated text extracted from the response (choices[0]). */
  response: z.string(),
  finishReason: z.string().nullable(),
  /** The model name the server reported. */
  responseModel: z.string().nullable(),
  usage: UsageSchema.nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  attempts: z.number().int().min(1),
  /**
   * `probe --logprobs k`: the returned logprobs of choices[0], one entry per generated token
   * (chat `logprobs.content`, or the completions arrays), normalised. Absent in transcripts
   * made without it (older ones stay readable).
   */
  logprobs: z.array(TokenLogprobsSchema).optional(),
});
export type TranscriptLine = z.infer<typeof TranscriptLineSchema>;

/** What detection needs from a transcript line (probe lines, or simple {id, prompt, text} records). */
export interface EvidenceRecord {
  promptId: string;
  prompt: string;
  /** Every text the suspect was given for this response (prompt, system message): windows to exclude. */
  given: string[];
  response: string;
  line: number;
  /** The returned logprobs (probe --logprobs), when the line has them. */
  logprobs?: TokenLogprobs[];
}

/** Texts in a probe request the suspect model was given: the prompt, and for chat every message. */
export function givenTexts(l: Pick<TranscriptLine, 'prompt' | 'request'>): string[] {
  const out = [l.prompt];
  const msgs = l.request.messages;
  if (Array.isArray(msgs)) {
    for (const m of msgs) {
      const c = (m as { content?: unknown })?.content;
      if (typeof c === 'string' && c !== l.prompt) out.push(c);
      else if (Array.isArray(c)) {
        const t = c.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('');
        if (t !== l.prompt) out.push(t);
      }
    }
  }
  return out;
}

export interface ParsedTranscript {
  lines: TranscriptLine[];
  /** Byte length of the intact part of the file (everything up to the last complete line). */
  goodBytes: number;
  /** A torn last line was found (and is not included). */
  torn: boolean;
}

/**
 * Parse a transcript's bytes. `allowTorn`: a malformed or unterminated last line is
 * reported as torn instead of being an error (resume), else every line must be intact.
 */
export function parseTranscript(bytes: Uint8Array, source: string, allowTorn: boolean): ParsedTranscript {
  const lines: TranscriptLine[] = [];
  let pos = 0;
  let lineNo = 0;
  const dec = new TextDecoder('utf-8', { fatal: true });
  while (pos < bytes.length) {
    lineNo++;
    let nl = bytes.indexOf(0x0a, pos);
    const terminated = nl >= 0;
    if (!terminated) nl = bytes.length;
    const isLast = !terminated || nl + 1 >= bytes.length;
    const raw = bytes.subarray(pos, nl);
    const fail = (why: string): ParsedTranscript => {
      if (allowTorn && isLast) return { lines, goodBytes: pos, torn: true };
      throw usage(`${source}:${lineNo}: ${why}`);
    };
    if (!terminated) return fail('torn last line (no newline at the end)');
    let text: string;
    try {
      text = dec.decode(raw);
    } catch {
      return fail('not valid UTF-8');
    }
    if (text.trim() !== '') {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return fail('malformed JSON line');
      }
      const r = TranscriptLineSchema.safeParse(json);
      if (!r.success) {
        const i = r.error.issues[0]!;
        return fail(`not a probe transcript line: ${i.path.join('.') || '(root)'}: ${i.message}`);
      }
      lines.push(r.data);
    }
    pos = nl + 1;
  }
  return { lines, goodBytes: pos, torn: false };
}

export function readTranscriptBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw usage(ioMessage(e, 'transcript', path));
  }
}

/**
 * Evidence records from a transcript file's bytes: probe transcript lines, or simple
 * JSONL records {"id"|"promptId", "prompt", "text"|"response"} (e.g. from `generate --out`).
 * Prompt ids must be unique. Every line must be intact.
 */
export function evidenceRecords(bytes: Uint8Array, source: string): EvidenceRecord[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw usage(`${source}: not valid UTF-8`);
  }
  if (text.length > 0 && !text.endsWith('\n')) throw usage(`${source}: torn last line (no newline at the end); run probe --resume to repair it`);
  const out: EvidenceRecord[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw usage(`${source}:${line}: malformed JSON line`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage(`${source}:${line}: expected a JSON object`);
    const o = v as Record<string, unknown>;
    let rec: EvidenceRecord;
    if (o.type === 'tracemark-probe') {
      const r = TranscriptLineSchema.safeParse(o);
      if (!r.success) {
        const is = r.error.issues[0]!;
        throw usage(`${source}:${line}: not a probe transcript line: ${is.path.join('.') || '(root)'}: ${is.message}`);
      }
      rec = { promptId: r.data.promptId, prompt: r.data.prompt, given: givenTexts(r.data), response: r.data.response, line, ...(r.data.logprobs ? { logprobs: r.data.logprobs } : {}) };
    } else {
      const id = o.promptId ?? o.id;
      const resp = o.response ?? o.text;
      if (typeof id !== 'string' && typeof id !== 'number') throw usage(`${source}:${line}: missing "promptId" (or "id")`);
      if (typeof o.prompt !== 'string') throw usage(`${source}:${line}: missing "prompt" (a string)`);
      if (typeof resp !== 'string') throw usage(`${source}:${line}: missing "response" (or "text"), a string`);
      rec = { promptId: String(id), prompt: o.prompt, given: [o.prompt], response: resp, line };
    }
    if (seen.has(rec.promptId)) throw usage(`${source}:${line}: prompt id ${JSON.stringify(rec.promptId)} appears twice`);
    seen.add(rec.promptId);
    out.push(rec);
  }
  return out;
}

/**
 * A transcript open for appending: one write + fsync per line. The file is created on
 * the first line (a run that gets no answer leaves no empty file behind); a torn last
 * line found on resume is truncated away before anything is appended.
 */
export class TranscriptWriter {
  #fd: number | null = null;
  #closed = false;
  constructor(readonly path: string, truncateTo?: number) {
    if (truncateTo !== undefined) {
      this.#open();
      if (fstatSync(this.#fd!).size > truncateTo) {
        ftruncateSync(this.#fd!, truncateTo);
        fsyncSync(this.#fd!);
      }
    }
  }

  #open(): number {
    if (this.#fd === null) {
      try {
        this.#fd = openSync(this.path, 'a', 0o644);
      } catch (e) {
        throw usage(`cannot open transcript ${this.path} for appending: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    return this.#fd;
  }

  append(line: TranscriptLine): void {
    if (this.#closed) throw new Error('transcript is closed');
    const fd = this.#open();
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd !== null) closeSync(this.#fd);
  }
}
