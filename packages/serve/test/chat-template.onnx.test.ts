/**
 * Chat templates of ONNX chat models: a model directory with a chat template is
 * prompted with it (transformers.js's apply_chat_template) and stops on its own
 * end-of-turn tokens; a directory without one keeps the plain template; a template
 * that refuses a conversation is a 400, and the server keeps serving.
 *
 * What the model received is read from the ledger: the row's prompt hash is the
 * SHA-256 of the rendered prompt, and usage.prompt_tokens its token count.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalSpecJson, generateKey, parseSpec, Watermark, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { Detector, sha256Hex, specId } from '@tracemark/detector';
import { loadLocalTokenizer } from '@tracemark/lm';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { Ledger, loadServedModel, renderChat, TracemarkServer, type ServedModel } from '../src/index.js';

/** Turns open with [BOS] and close with [EOS]; two turns of one role in a row are refused. */
const TEMPLATE =
  "{% for m in messages %}{% if loop.index0 > 0 and m.role == messages[loop.index0 - 1].role %}{{ raise_exception('roles must alternate') }}{% endif %}" +
  '{{ bos_token }}{{ m.role }} {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}{{ bos_token }}assistant{% endif %}';

const MESSAGES = [
  { role: 'system', content: 'be brief' },
  { role: 'user', content: 'ba be bi' },
] as const;
const RENDERED = '[BOS]system be brief[EOS][BOS]user ba be bi[EOS][BOS]assistant';

let root: string;
let key: WatermarkKey;

function specFor(dir: string): WatermarkSpec {
  return parseSpec({ version: 1, tokenizer: `hf:${dir}`, scheme: { name: 'kgw', gamma: 0.25, delta: 3 }, context: { width: 1, mode: 'left' }, keyFingerprint: key.fingerprint });
}

/** The same tiny weights (seed 7) in every directory; `patch` edits its JSON files. */
async function modelDir(name: string, patch: { tokenizerConfig?: Record<string, unknown>; generationConfig?: Record<string, unknown> } = {}): Promise<string> {
  const dir = join(root, name);
  await writeTinyCausalLM(dir, { vocabSize: 256, hidden: 16, seed: 7 });
  const edit = (file: string, extra: Record<string, unknown> | undefined): void => {
    if (extra === undefined) return;
    const p = join(dir, file);
    writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), ...extra }));
  };
  edit('tokenizer_config.json', patch.tokenizerConfig);
  edit('generation_config.json', patch.generationConfig);
  return dir;
}

interface Served {
  url: string;
  ledger: Ledger;
  model: ServedModel;
  spec: WatermarkSpec;
}

async function serving(dir: string, body: (s: Served) => Promise<void>): Promise<void> {
  const spec = specFor(dir);
  const model = await loadServedModel(dir, spec);
  const ledger = Ledger.openForWriting(join(dir, 'ledger.sqlite'), { specId: specId(spec), keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
  const server = new TracemarkServer({ wm: new Watermark(spec, key), model, ledger, host: '127.0.0.1', port: 0 });
  try {
    await body({ url: await server.listen(), ledger, model, spec });
  } finally {
    await server.shutdown();
    ledger.close();
    await model.dispose();
  }
}

async function chat(s: Served, request: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: s.model.id, messages: MESSAGES, max_tokens: 40, seed: 1, ...request }),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tracemark-chat-template-'));
  key = generateKey();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('serve: a model directory with a chat template', () => {
  it("renders the messages with the model's template (the ledger's prompt hash), and the reply is detected from text", async () => {
    const dir = await modelDir('chat-lm', { tokenizerConfig: { chat_template: TEMPLATE } });
    await serving(dir, async (s) => {
      expect(s.model.chatTemplate?.source).toBe(join(dir, 'tokenizer_config.json'));
      const r = await chat(s, {});
      expect(r.status).toBe(200);
      const text: string = r.body.choices[0].message.content;
      expect(r.body.choices[0].finish_reason).toBe('length');
      const [row] = s.ledger.lookupTextSha256(sha256Hex(text));
      expect(row!.promptSha256).toBe(sha256Hex(RENDERED));
      const tok = await loadLocalTokenizer(dir);
      const ids = tok.encode(RENDERED, { add_special_tokens: false });
      expect(ids.filter((t) => t === 2)).toHaveLength(2); // each [EOS] in the template is the special token, not text
      expect(r.body.usage.prompt_tokens).toBe(ids.length);
      const d = new Detector(s.spec, key).detect(text);
      expect(d.scored).toBeGreaterThan(20);
      expect(d.log10P).toBeLessThan(-3);
    });
  });

  it("a template that refuses the conversation is a 400 with the template's words (no server path); the server keeps serving", async () => {
    const dir = await modelDir('strict-lm', { tokenizerConfig: { chat_template: TEMPLATE } });
    await serving(dir, async (s) => {
      const bad = await chat(s, { messages: [{ role: 'user', content: 'ba' }, { role: 'user', content: 'be' }] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe("the model's chat template refused these messages: roles must alternate");
      expect(bad.body.error.param).toBe('messages');
      expect((await chat(s, {})).status).toBe(200);
    });
  });

  it("stops on the model's end-of-turn token (generation_config.json eos_token_id), where the same draw without it runs on", async () => {
    const plain = await modelDir('turn-free-lm', { tokenizerConfig: { chat_template: TEMPLATE } });
    let full = '';
    await serving(plain, async (s) => {
      full = (await chat(s, {})).body.choices[0].message.content;
    });
    // An ordinary word of that reply, made an end-of-turn token: the same draw stops where it first comes.
    const tok = await loadLocalTokenizer(plain);
    const words = full.split(' ');
    const word = words.slice(2).find((w) => tok.encode(w, { add_special_tokens: false }).length === 1)!;
    expect(word).toBeDefined();
    const eot = tok.encode(word, { add_special_tokens: false })[0]!;
    const dir = await modelDir('turn-lm', { tokenizerConfig: { chat_template: TEMPLATE }, generationConfig: { eos_token_id: [2, eot] } });
    await serving(dir, async (s) => {
      expect(s.model.chatTemplate?.endOfTurnTokens).toEqual([2, eot].sort((a, b) => a - b));
      const r = await chat(s, {});
      const text: string = r.body.choices[0].message.content;
      expect(r.body.choices[0].finish_reason).toBe('stop');
      expect(r.body.usage.completion_tokens).toBeLessThan(40);
      // The same draws as the reply without it, cut before the end-of-turn token.
      expect(full.startsWith(text)).toBe(true);
      expect(text.length).toBeLessThan(full.length);
      expect(text.split(' ')).not.toContain(word);
      // Streamed, the same reply and the same finish.
      const res = await fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: s.model.id, messages: MESSAGES, max_tokens: 40, seed: 1, stream: true }),
      });
      const chunks = (await res.text())
        .split('\n')
        .filter((l) => l.startsWith('data: {'))
        .map((l) => JSON.parse(l.slice(6)).choices[0]);
      expect(chunks.map((c) => c.delta.content ?? '').join('')).toBe(text);
      expect(chunks.at(-1).finish_reason).toBe('stop');
    });
  });
});

describe('serve: a model directory without a chat template', () => {
  it('keeps the plain System:/User:/Assistant: template', async () => {
    const dir = await modelDir('plain-lm');
    await serving(dir, async (s) => {
      expect(s.model.chatTemplate).toBeUndefined();
      const r = await chat(s, {});
      expect(r.status).toBe(200);
      const [row] = s.ledger.lookupTextSha256(sha256Hex(r.body.choices[0].message.content));
      expect(row!.promptSha256).toBe(sha256Hex(renderChat([...MESSAGES])));
      expect(renderChat([...MESSAGES])).toBe('System: be brief\nUser: ba be bi\nAssistant:');
    });
  });
});

describe('loading a model whose chat template does not parse', () => {
  it('is one line naming the file', async () => {
    const dir = await modelDir('broken-lm');
    writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in messages %}{{ m.content }');
    await expect(loadServedModel(dir, specFor(dir))).rejects.toThrow(new RegExp(`^the chat template in ${join(dir, 'chat_template.jinja')} failed: [^\\n]+$`));
  });
});
