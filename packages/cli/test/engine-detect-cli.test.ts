/**
 * Reading an engine's watermark from the command line: the engine's own config imported
 * (spec import), then detect and scan on token ids the engine generated — tracemark's
 * exact p decides, the engine's own statistic is printed beside it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineKey, exportEngineKeyFile } from '@tracemark/watermark';
import { afterAll, describe, expect, it } from 'vitest';
import { DetectOutputSchema, ScanOutputSchema } from '../src/schemas.js';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors = (f: string): any => JSON.parse(readFileSync(join(REPO_ROOT, 'test/vectors/engines', f), 'utf8'));

describe('engine specs on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-engine-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const p = (f: string) => join(dir, f);

  it('vLLM: spec import, then detect --ids prints the exact verdict and vLLM’s own p; the key never shows', async () => {
    writeFileSync(p('vllm.json'), JSON.stringify({ algorithm: 'gumbel', key: 42, context_width: 4 }));
    const imp = await runInProcess(['spec', 'import', p('vllm.json'), '--engine', 'vllm', '--out', p('vllm.spec.json'), '--key-out', p('vllm.key.json')]);
    expect(imp.code, imp.stderr).toBe(0);
    const file = vectors('vllm-gumbel-philox.json');
    const seqs = file.sequences.filter((s: { name: string; tokens: number[] }) => ['watermarked-by-engine', 'random-vocab32000'].includes(s.name));
    writeFileSync(p('ids.jsonl'), seqs.map((s: { name: string; tokens: number[] }) => JSON.stringify({ id: s.name, ids: s.tokens })).join('\n') + '\n');
    const human = await runInProcess(['detect', '--spec', p('vllm.spec.json'), '--key', p('vllm.key.json'), '--ids', p('ids.jsonl')]);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    const marked = lines.findIndex((l) => l.includes('(watermarked-by-engine)'));
    expect(lines[marked]).toMatch(/WATERMARKED {2}p = /);
    expect(lines.slice(marked + 1).find((l) => l.includes("vllm's own detector"))).toMatch(/^ {2}vllm's own detector: p = 6\.08e-98 over 80 positions, says watermarked \(Gamma/);
    expect(human.stdout).toMatch(/\(random-vocab32000\): not detected/);
    const json = await runInProcess(['detect', '--spec', p('vllm.spec.json'), '--key', p('vllm.key.json'), '--ids', p('ids.jsonl'), '--json']);
    const out = DetectOutputSchema.parse(JSON.parse(json.stdout));
    expect(out.scheme).toBe('vllm/gumbel');
    const w = out.results.find((r) => r.id === 'watermarked-by-engine')!;
    expect(w.verdict).toBe('detected');
    expect(w.engine?.watermarked).toBe(true);
    expect(w.test).toBe('gamma');
    for (const r of [imp, human, json]) expect(r.stdout + r.stderr).not.toContain('"key"');
  });

  it('SGLang: prompt_ids reach the first contexts; scan pools the corpus once; a tracemark-only command refuses the spec', async () => {
    writeFileSync(p('sglang.json'), JSON.stringify({ watermark_key: '0123456789abcdef', watermark_context_window: 4 }));
    const imp = await runInProcess(['spec', 'import', p('sglang.json'), '--engine', 'sglang', '--out', p('sg.spec.json'), '--key-out', p('sg.key.json')]);
    expect(imp.code, imp.stderr).toBe(0);
    const s = vectors('sglang-aaronson_gumbel.json').sequences.find((x: { name: string }) => x.name === 'watermarked-argmax-vocab2048');
    writeFileSync(p('sg.jsonl'), JSON.stringify({ ids: s.tokens, prompt_ids: s.prompt_token_ids }) + '\n' + JSON.stringify({ ids: s.tokens }) + '\n');
    const det = await runInProcess(['detect', '--spec', p('sg.spec.json'), '--key', p('sg.key.json'), '--ids', p('sg.jsonl'), '--json']);
    expect(det.code, det.stderr).toBe(0);
    const [withPrompt, without] = DetectOutputSchema.parse(JSON.parse(det.stdout)).results;
    // the engine's detector skips the first h tokens without the prompt; tracemark does too
    expect(withPrompt!.engine!.scored).toBe(60);
    expect(without!.engine!.scored).toBe(56);
    expect(withPrompt!.noContext).toBe(0);
    expect(without!.noContext).toBe(4);
    const scan = await runInProcess(['scan', '--spec', p('sg.spec.json'), '--key', p('sg.key.json'), '--ids', p('sg.jsonl'), '--json']);
    expect(scan.code, scan.stderr).toBe(0);
    const sc = ScanOutputSchema.parse(JSON.parse(scan.stdout));
    expect(sc.scheme).toBe('sglang/gumbel');
    expect(sc.documents).toBe(2);
    // scan reads the prompt's tail as context like detect: the first document scores its first h positions (they are
    // excluded only if their context lies inside the prompt — here the first one, whose context is the prompt's tail)
    expect(sc.tokens).toBe(120);
    expect(sc.pooled.scored).toBe(withPrompt!.scored);
    const plan = await runInProcess(['plan', '--spec', p('sg.spec.json'), '--mean', '1.2', '--tokens-per-response', '50', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).nullModel).toEqual({ kind: 'gamma' });
    const refused = await runInProcess(['generate', '--spec', p('sg.spec.json'), '--key', p('sg.key.json'), '--out', p('gen.jsonl')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/an engine spec \(sglang\/gumbel\); this command reads tracemark's own specs/);
  });

  it('bad keys for an engine spec: one line naming the field, exit 2, the key value never echoed', async () => {
    const big = (1n << 63n).toString();
    const key = new EngineKey('vllm', 'integer', [1n << 63n]);
    const spec = { version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/sbw' }, keyFingerprint: key.fingerprint };
    writeFileSync(p('sbw.spec.json'), JSON.stringify(spec));
    writeFileSync(p('sbw.key.json'), JSON.stringify(exportEngineKeyFile(key)), { mode: 0o600 });
    writeFileSync(p('one.jsonl'), JSON.stringify({ ids: [1, 2, 3, 4, 5] }) + '\n');
    const range = await runInProcess(['detect', '--spec', p('sbw.spec.json'), '--key', p('sbw.key.json'), '--ids', p('one.jsonl')]);
    expect(range.code).toBe(2);
    expect(range.stderr.trim().split('\n')).toHaveLength(1);
    expect(range.stderr).toMatch(/sbw\.key\.json: wrong key for vllm\/sbw: key: out of range \(SBW keys are 0\.\.2\^63-1/);
    expect(range.stderr + range.stdout).not.toContain(big);
    writeFileSync(p('extra.key.json'), JSON.stringify({ ...exportEngineKeyFile(key), salt: 'x' }), { mode: 0o600 });
    const extra = await runInProcess(['detect', '--spec', p('sbw.spec.json'), '--key', p('extra.key.json'), '--ids', p('one.jsonl')]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/invalid key file: .*salt/);
    const native = await runInProcess(['keygen', '--out', p('native.key.json')]);
    expect(native.code, native.stderr).toBe(0);
    const mixed = await runInProcess(['detect', '--spec', p('sbw.spec.json'), '--key', p('native.key.json'), '--ids', p('one.jsonl')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/native\.key\.json: /);
  });
});
