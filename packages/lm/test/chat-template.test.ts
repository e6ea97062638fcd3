/**
 * loadChatTemplate: where a model directory's chat template is read from
 * (chat_template.jinja > chat_template.json > tokenizer_config.json), the end-of-turn
 * ids (config.json + generation_config.json + the tokenizer's eos_token), and the
 * one-line errors of a template that does not parse or refuses a conversation.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplateError, endOfTurnTokens, loadChatTemplate, loadLocalTokenizer } from '../src/index.js';
import { writeTinyCausalLM } from '../src/testing/index.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tracemark-lm-chat-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const turns = (label: string) => `{% for m in messages %}${label}{{ m.role }} {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}${label}assistant{% endif %}`;

async function dir(name: string, files: Record<string, string> = {}, tokenizerConfig: Record<string, unknown> = {}): Promise<string> {
  const d = join(root, name);
  await writeTinyCausalLM(d, { vocabSize: 64, hidden: 4 });
  const cfgPath = join(d, 'tokenizer_config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), ...tokenizerConfig }));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

async function load(d: string) {
  return loadChatTemplate(d, await loadLocalTokenizer(d));
}

describe('loadChatTemplate', () => {
  it('a directory without a template has none', async () => {
    expect(await load(await dir('none'))).toBeNull();
  });

  it('reads tokenizer_config.json, then chat_template.json over it, then chat_template.jinja over both', async () => {
    const msgs = [{ role: 'developer', content: 'hi' }, { role: 'user', content: 'ba' }];
    const a = await dir('cfg', {}, { chat_template: turns('A ') });
    const t = (await load(a))!;
    expect(t.source).toBe(join(a, 'tokenizer_config.json'));
    // developer is rendered as the system turn
    expect(t.render(msgs)).toBe('A system hi[EOS]A user ba[EOS]A assistant');
    const b = await dir('json', { 'chat_template.json': JSON.stringify({ chat_template: turns('B ') }) }, { chat_template: turns('A ') });
    expect((await load(b))!.render(msgs)).toBe('B system hi[EOS]B user ba[EOS]B assistant');
    const c = await dir('jinja', { 'chat_template.jinja': turns('C '), 'chat_template.json': JSON.stringify({ chat_template: turns('B ') }) }, { chat_template: turns('A ') });
    const tc = (await load(c))!;
    expect(tc.source).toBe(join(c, 'chat_template.jinja'));
    expect(tc.render(msgs)).toBe('C system hi[EOS]C user ba[EOS]C assistant');
  });

  it('takes the "default" of a list of named templates', async () => {
    const d = await dir('named', {}, { chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: turns('D ') }] });
    expect((await load(d))!.render([{ role: 'user', content: 'ba' }])).toBe('D user ba[EOS]D assistant');
  });

  it('end-of-turn ids: config.json, generation_config.json and the tokenizer eos, distinct and sorted', async () => {
    const d = await dir('eot', {}, { chat_template: turns('') });
    writeFileSync(join(d, 'generation_config.json'), JSON.stringify({ eos_token_id: [40, 2, 17] }));
    const tok = await loadLocalTokenizer(d);
    expect(endOfTurnTokens(d, tok)).toEqual([2, 17, 40]);
    expect((await load(d))!.endOfTurnTokens).toEqual([2, 17, 40]);
  });

  it('a template that does not parse fails at load, one line naming the file', async () => {
    const d = await dir('broken', { 'chat_template.jinja': '{% if messages %}never closed' });
    const err = await load(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect((err as Error).message).toMatch(new RegExp(`^the chat template in ${join(d, 'chat_template.jinja')} failed: [^\\n]+$`));
  });

  it('chat_template.json without a string is named', async () => {
    const d = await dir('badjson', { 'chat_template.json': '{"template": "x"}' });
    await expect(load(d)).rejects.toThrow(`${join(d, 'chat_template.json')} has no "chat_template" string`);
  });

  it('a conversation the template refuses is a ChatTemplateError with the template message', async () => {
    const strict = "{% if messages[0].role != 'user' %}{{ raise_exception('the first turn must be the user') }}{% endif %}" + turns('');
    const t = (await load(await dir('strict', {}, { chat_template: strict })))!;
    const err = (() => {
      try {
        t.render([{ role: 'assistant', content: 'ba' }]);
      } catch (e) {
        return e as InstanceType<typeof ChatTemplateError>;
      }
    })();
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect(err!.message).toMatch(/^the chat template in .*tokenizer_config\.json failed: the first turn must be the user$/);
    expect(err!.reason).toBe('the first turn must be the user');
  });
});
