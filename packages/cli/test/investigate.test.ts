/**
 * The investigator's commands on real models and real files: `radioactivity` (filters,
 * families, decoys, control), `plan` (assumed and pilot), `probe --until-evidence`
 * (stops early on a watermarked suspect, never on an innocent one, resumes), `attribute
 * leaks` / `attribute clone` (ledger), and a small harvest → distil → probe grid on which
 * no control and no decoy may be significant.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { humanText, promptSet } from '@tracemark/corpora';
import { plannedTokensExact, RadioactivityRun, windowHashesOf, specId } from '@tracemark/detector';
import { distil, encode, generateTextSync, harvest, referenceModel, type LanguageModel } from '@tracemark/lm';
import { canonicalSpecJson, Embedder, exportKeyFile, parseSpec, Watermark, WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClone, runLeaks } from '../src/commands/attribute.js';
import { runPlan } from '../src/commands/plan.js';
import { runProbeCommand, type ProbeFlags } from '../src/commands/probe.js';
import { runRadioactivity, type RadioactivityFlags } from '../src/commands/radioactivity.js';
import { SequentialProbeSchema } from '@tracemark/investigate';
import { encodeFilterBinary, Ledger, sortUnique } from '@tracemark/serve';
import { ProbeOutputSchema } from '../src/schemas.js';
import { runInProcess } from './helpers/cli.js';

const fixedKey = (label: string): WatermarkKey => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = (label.charCodeAt(i % label.length) * 131 + i * 17) & 255;
  return new WatermarkKey(b);
};

let dir: string;
let teacher: LanguageModel;

function writeSpecKey(name: string, spec: WatermarkSpec, key: WatermarkKey): { spec: string; key: string } {
  const s = join(dir, `${name}.spec.json`), k = join(dir, `${name}.key.json`);
  writeFileSync(s, `${JSON.stringify(spec)}\n`);
  writeFileSync(k, `${JSON.stringify(exportKeyFile(key))}\n`);
  chmodSync(k, 0o600);
  return { spec: s, key: k };
}

interface Answer {
  prompt: string;
  text: string;
  promptTokens: number[];
  tokens: number[];
}

function answers(prompts: readonly string[], emb: Embedder | undefined, maxTokens: number, seed: string): Answer[] {
  return prompts.map((prompt, i) => {
    const r = generateTextSync({ model: teacher, ...(emb ? { watermark: emb } : {}), prompt, maxTokens, seed: `${seed}/${i}` });
    return { prompt, text: r.text, promptTokens: r.promptTokens, tokens: r.tokens };
  });
}

function writeTranscript(name: string, as: readonly Answer[]): string {
  const p = join(dir, `${name}.jsonl`);
  writeFileSync(p, as.map((a, i) => JSON.stringify({ id: `q-${i}`, prompt: a.prompt, text: a.text })).join('\n') + '\n');
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-investigate-'));
  teacher = referenceModel();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('radioactivity and plan commands', () => {
  const key = fixedKey('radio-cli');
  const spec = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2 }, keyFingerprint: key.fingerprint });
  const prompts = promptSet(40, 5);
  let files: { spec: string; key: string };
  let marked: Answer[];
  let markedPath: string, plainPath: string, filterPath: string;

  beforeAll(() => {
    files = writeSpecKey('radio', spec, key);
    const wm = new Watermark(spec, key);
    marked = answers(prompts, new Embedder(wm), 60, 'marked');
    markedPath = writeTranscript('marked', marked);
    plainPath = writeTranscript('plain', answers(prompts, undefined, 60, 'plain'));
    // a ledger filter: the windows of the answers "served" (the marked ones)
    const windows = sortUnique(windowHashesOf(wm, marked));
    filterPath = join(dir, 'filter.bin');
    writeFileSync(filterPath, encodeFilterBinary({ type: 'tracemark-filter', version: 1, specId: specId(spec), keyFingerprint: key.fingerprint, accounts: ['acct-1'], since: null, until: null, created: new Date(0).toISOString(), responses: marked.length, count: windows.length }, windows));
  });

  const flags = (o: Partial<RadioactivityFlags>): RadioactivityFlags => ({
    spec: files.spec,
    key: files.key,
    transcript: markedPath,
    teacher: 'builtin',
    teacherResponses: '1',
    teacherMaxTokens: '40',
    teacherTemperature: '1',
    teacherSeed: '1',
    decoys: '12',
    decoySeed: 'ab'.repeat(32),
    ...o,
  });

  it('flags the watermarked transcript with every variant; decoys and the control stay null', async () => {
    const r = await runRadioactivity(flags({ control: plainPath, filter: [filterPath], unsupervised: true, families: '3' }));
    expect(r.variants.map((v) => v.variant)).toEqual(['unfiltered', 'supervised', 'unsupervised']);
    expect(r.verdict).toBe('detected');
    expect(r.controlsOk).toBe(true);
    for (const v of r.variants) {
      expect(v.suspect.pooled.log10P).toBeLessThan(-10);
      expect(v.control!.verdict).toBe('not-detected');
      expect(v.suspect.decoys.k).toBe(12);
      expect(v.suspect.decoys.significant).toBe(0);
      expect(v.suspect.families!.tests.reduce((a, t) => a + t.scored, 0)).toBe(v.suspect.pooled.scored);
    }
    // Bonferroni over the three variants
    const min = Math.min(...r.variants.map((v) => v.suspect.pooled.lnP));
    expect(r.combinedLnP).toBeCloseTo(min + Math.log(3), 9);
    // the supervised filter keeps fewer positions than the unfiltered test
    expect(r.variants[1]!.suspect.accounting.unselected).toBeGreaterThan(0);
    // same decoy seed → same numbers
    const again = await runRadioactivity(flags({ control: plainPath, filter: [filterPath], families: '3' }));
    expect(again.variants[1]!.suspect.decoys.log10P).toEqual(r.variants[1]!.suspect.decoys.log10P);
  });

  it('the plain transcript is not detected; a control that is marked fails the controls', async () => {
    const r = await runRadioactivity(flags({ transcript: plainPath }));
    expect(r.verdict).toBe('not-detected');
    const bad = await runRadioactivity(flags({ transcript: plainPath, control: markedPath }));
    expect(bad.controlsOk).toBe(false);
    expect(bad.warnings.join(' ')).toMatch(/control model is significant/);
  });

  it('refuses a filter of another key, and the supervised variant without a filter', async () => {
    const other = fixedKey('other');
    const ospec = { ...spec, keyFingerprint: other.fingerprint };
    const p = join(dir, 'other-filter.bin');
    writeFileSync(p, encodeFilterBinary({ type: 'tracemark-filter', version: 1, specId: specId(ospec), keyFingerprint: other.fingerprint, accounts: [], since: null, until: null, created: new Date(0).toISOString(), responses: 0, count: 0 }, new BigUint64Array()));
    await expect(runRadioactivity(flags({ filter: [p] }))).rejects.toThrow(/filter made for key/);
    await expect(runRadioactivity(flags({ variants: 'supervised' }))).rejects.toThrow(/needs --filter/);
  });

  it('plan: assumed rate → exact binomial search; pilot → estimated rate, its lower bound, and queries', () => {
    const a = runPlan({ q: '0.3', power: '0.9', alpha: '1e-6', tokensPerResponse: '50' });
    expect(a.plans[0]!.plan.tokens.exact).toBe(plannedTokensExact(Math.floor(0.25 * 2 ** 32) / 2 ** 32, 0.3, 1e-6, 0.9)!.n);
    expect(a.plans[0]!.plan.queries!.exact).toBe(Math.ceil(a.plans[0]!.plan.tokens.exact! / 50));
    const p = runPlan({ spec: files.spec, key: files.key, pilot: markedPath, power: '0.9', alpha: '1e-6' });
    expect(p.pilot!.q!).toBeGreaterThan(0.3);
    expect(p.plans.map((x) => x.label)).toEqual(['pilot estimate', '95% lower bound']);
    expect(p.plans[1]!.plan.tokens.exact!).toBeGreaterThan(p.plans[0]!.plan.tokens.exact!);
    expect(p.plans[0]!.plan.queries!.exact).toBeGreaterThan(0);
    expect(() => runPlan({ spec: files.spec, key: files.key, pilot: plainPath, power: '0.9', alpha: '1e-6' })).toThrow(/no excess rate|nothing to plan/);
  });

  it('plan through the CLI prints one-line errors', async () => {
    const r = await runInProcess(['plan', '--q', '0.2']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/must exceed the null rate/);
    const ok = await runInProcess(['plan', '--scheme', 'gumbel', '--mean', '1.2', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).plans[0].plan.tokens.exact).toBeGreaterThan(100);
  });
});

describe('probe --until-evidence', () => {
  const key = fixedKey('seq-cli');
  const spec = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1 }, keyFingerprint: key.fingerprint });
  let files: { spec: string; key: string };
  let server: Server;
  let base: string;
  let asked = 0;
  const byPrompt = new Map<string, { marked: string; plain: string }>();
  const prompts = promptSet(60, 1); // the prompts `--builtin 60 --prompt-seed 1` sends

  beforeAll(async () => {
    files = writeSpecKey('seq', spec, key);
    const emb = new Embedder(new Watermark(spec, key));
    const m = answers(prompts, emb, 80, 'sm');
    const p = answers(prompts, undefined, 80, 'sp');
    prompts.forEach((q, i) => byPrompt.set(q, { marked: m[i]!.text, plain: p[i]!.text }));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        asked++;
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: { content: string }[] };
        const prompt = body.messages.at(-1)!.content;
        const a = byPrompt.get(prompt);
        const content = a ? (body.model === 'clone' ? a.marked : a.plain) : 'unknown prompt';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'length' }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const flags = (o: Partial<ProbeFlags>): ProbeFlags => ({
    baseUrl: base,
    model: 'clone',
    endpoint: 'chat',
    transcript: join(dir, 'seq.jsonl'),
    field: 'prompt',
    builtin: '60',
    promptSeed: '1',
    maxTokens: '80',
    temperature: '1',
    concurrency: '1',
    rps: '0',
    retries: '0',
    retryBaseMs: '10',
    retryMaxMs: '10',
    timeout: '10000',
    untilEvidence: '1e-6',
    spec: files.spec,
    key: files.key,
    ...o,
  });

  it('stops as soon as the e-process crosses 1/α on a watermarked suspect, and a resume asks nothing more', async () => {
    asked = 0;
    const t = join(dir, 'seq-clone.jsonl');
    const r = await runProbeCommand(flags({ transcript: t }), new AbortController().signal);
    const s = SequentialProbeSchema.parse(r.sequential);
    expect(s.stop).toBe('evidence');
    expect(s.log10P).toBeLessThanOrEqual(-6);
    expect(r.answered).toBe(s.crossedAtResponse);
    expect(r.answered).toBeLessThan(30);
    expect(r.remaining).toBe(60 - r.answered);
    expect(asked).toBe(r.answered);
    // the output still validates as probe output with the extra `sequential` field
    ProbeOutputSchema.extend({ sequential: SequentialProbeSchema }).parse({ command: 'probe', ...r });
    asked = 0;
    const again = await runProbeCommand(flags({ transcript: t, resume: true }), new AbortController().signal);
    expect(asked).toBe(0);
    expect(again.sequential!.stop).toBe('evidence');
    expect(again.sequential!.crossedAtResponse).toBe(s.crossedAtResponse);
  });

  it('never stops on an innocent suspect; the budget caps the queries', async () => {
    const r = await runProbeCommand(flags({ transcript: join(dir, 'seq-plain.jsonl'), model: 'innocent', concurrency: '3' }), new AbortController().signal);
    expect(r.sequential!.stop).toBeNull();
    expect(r.answered).toBe(60);
    expect(r.sequential!.log10P).toBeGreaterThan(-3);
    const capped = await runProbeCommand(flags({ transcript: join(dir, 'seq-cap.jsonl'), model: 'innocent', maxQueries: '7' }), new AbortController().signal);
    expect(capped.sequential!.stop).toBe('max-queries');
    expect(capped.answered).toBe(7);
  });

  it('refuses its companion flags without --until-evidence, and --until-evidence without a key', async () => {
    await expect(runProbeCommand(flags({ transcript: join(dir, 'x1.jsonl'), untilEvidence: undefined }), new AbortController().signal)).rejects.toThrow(/only used with --until-evidence/);
    await expect(runProbeCommand(flags({ transcript: join(dir, 'x2.jsonl'), key: undefined }), new AbortController().signal)).rejects.toThrow(/needs --spec and --key/);
  });
});

describe('attribute', () => {
  it('leaks: names the accounts whose ids the texts carry, and no account for human text', async () => {
    const key = fixedKey('leaks');
    const spec = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 3 }, payload: { bits: 16, digitBits: 2 }, keyFingerprint: key.fingerprint });
    const files = writeSpecKey('leaks', spec, key);
    const wm = new Watermark(spec, key);
    const ps = promptSet(8, 8);
    // a leaked document: several answers one account received, pasted together
    const leak = (id: bigint, from: number, seed: string) => answers(ps.slice(from, from + 4), new Embedder(wm, { message: id }), 300, seed).map((a) => a.text).join('\n\n');
    const texts = [
      { id: 'leak-a', text: leak(17n, 0, 'la') },
      { id: 'leak-b', text: leak(42n, 4, 'lb') },
      { id: 'human', text: humanText({ split: 'calibration' })[0]!.text.slice(0, 3000) },
    ];
    const p = join(dir, 'leaks.jsonl');
    writeFileSync(p, texts.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const candidates = Array.from({ length: 100 }, (_, i) => `acct-${i}=${i}`).join(',');
    const r = await runLeaks({ ...files, jsonl: [p], field: 'text', idField: 'id', candidates, alpha: '1e-3' });
    expect(r.method).toBe('holm');
    expect(r.hypotheses).toBe(300);
    expect(r.named.map((x) => x.account).sort()).toEqual(['acct-17', 'acct-42']);
    expect(r.texts[2]!.named).toBe(false);
    await expect(runLeaks({ ...writeSpecKey('zb', parseSpec({ version: 1, scheme: { name: 'kgw' }, keyFingerprint: key.fingerprint }), key), jsonl: [p], field: 'text', idField: 'id' })).rejects.toThrow(/payload/);
  });

  it('clone: with the ledger, names the account whose answers the clone reproduces', async () => {
    const key = fixedKey('clone-attr');
    const spec = parseSpec({ version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 2 }, keyFingerprint: key.fingerprint });
    const files = writeSpecKey('clone', spec, key);
    const wm = new Watermark(spec, key);
    const emb = new Embedder(wm);
    const ledgerPath = join(dir, 'ledger.sqlite');
    const ledger = Ledger.openForWriting(ledgerPath, { specId: specId(spec), keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
    const served = new Map<string, Answer[]>();
    const ps = promptSet(6 * 8, 13);
    for (let a = 0; a < 6; a++) {
      const as = answers(ps.slice(a * 8, a * 8 + 8), emb, 80, `acct${a}`);
      served.set(`acct-${a}`, as);
      as.forEach((x, i) =>
        ledger.record({
          responseId: `r-${a}-${i}`,
          choice: 0,
          account: `acct-${a}`,
          accountId: null,
          created: new Date(0),
          modelId: 'm',
          endpoint: 'completions',
          finishReason: 'length',
          textSha256: '0'.repeat(64),
          promptSha256: '0'.repeat(64),
          promptTokens: x.promptTokens.length,
          completionTokens: x.tokens.length,
          windows: windowHashesOf(wm, [x]),
        }),
      );
    }
    ledger.close();
    // a memorising clone: reproduces account 3's answers (to new prompts), plus unwatermarked text
    const clone = [...served.get('acct-3')!.map((x) => ({ prompt: 'Tell me something', text: x.text, promptTokens: [], tokens: [] })), ...answers(promptSet(8, 14), undefined, 80, 'cp')];
    const cpath = writeTranscript('clone-out', clone);
    const r = await runClone({ ...files, transcript: cpath, ledger: ledgerPath, alpha: '1e-3' });
    expect(r.accountsInUniverse).toBe(6);
    expect(r.named).toEqual(['acct-3']);
    const innocent = await runClone({ ...files, transcript: writeTranscript('clone-plain', answers(promptSet(16, 15), undefined, 80, 'pp')), ledger: ledgerPath, alpha: '1e-3' });
    expect(innocent.named).toEqual([]);
  });
});

describe('small radioactivity grid (harvest → distil → probe)', () => {
  it('clones are detected; no control and no decoy is significant anywhere', () => {
    const human = humanText({ split: 'train' }).map((d) => d.text);
    const train = 20_000;
    const probePrompts = promptSet(80, 99);
    const probe = (model: LanguageModel) =>
      probePrompts.map((prompt, i) => ({ id: `p${i}`, tokens: encode('o200k_base', generateTextSync({ model, prompt, maxTokens: 60, seed: `g/${i}` }).text), given: [encode('o200k_base', prompt)] }));
    const control = probe(distil({ harvested: [], humanText: human, rho: 0, trainingTokens: train, seed: 3 }).model);
    let cells = 0;
    for (const scheme of [{ name: 'kgw', gamma: 0.25, delta: 2 }, { name: 'gumbel' }, { name: 'synthid', layers: 30 }] as const) {
      const key = fixedKey(`grid-${scheme.name}`);
      const spec = parseSpec({ version: 1, scheme, context: { width: 1 }, keyFingerprint: key.fingerprint });
      const decoyKeys = Array.from({ length: 10 }, (_, i) => fixedKey(`grid-${scheme.name}-decoy-${i}`));
      const hv = harvest({ teacher, spec, key, prompts: promptSet(220, 11), maxTokens: 128, seed: 5 });
      const clone = probe(distil({ harvested: hv, humanText: human, rho: 1, trainingTokens: train, seed: 3 }).model);
      for (const [items, isClone] of [[clone, true], [control, false]] as const) {
        const run = new RadioactivityRun({ spec, key, decoyKeys, alpha: 1e-6 });
        for (const it of items) run.add(it);
        const s = run.summary();
        cells++;
        if (isClone) expect(s.verdict, `${scheme.name} clone`).toBe('detected');
        else expect(s.pooled.log10P, `${scheme.name} control`).toBeGreaterThan(-4);
        // 10 decoys: a decoy below 1e-4 has probability < 1e-3 per cell
        expect(s.decoys.minLog10P!, `${scheme.name} decoys`).toBeGreaterThan(-4);
      }
    }
    expect(cells).toBe(6);
  });
});
