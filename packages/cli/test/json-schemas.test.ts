/**
 * Every command that prints JSON has a strict zod schema in src/schemas/: run each
 * in-process with --json on small inputs (the golden demo's spec, key, transcripts and
 * ledger, copied; a payload fixture for `attribute leaks`; a tiny `bench --quick`) and
 * parse stdout with its schema. Strict objects: an unknown or a missing field fails.
 * docs/OUTPUTS.md describes the same shapes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { humanText } from '@tracemark/corpora';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  AttributeCloneOutputSchema,
  AttributeLeaksOutputSchema,
  BenchOutputSchema,
  LedgerInfoOutputSchema,
  LedgerLookupOutputSchema,
  PlanOutputSchema,
  RadioactivityOutputSchema,
  runDemo,
} from '../src/index.js';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';


let dir: string;
let spec: string, key: string, ledger: string, clone: string, control: string;

// Inputs: a quick demo run (provider spec/key/ledger, the cloner's harvest, both suspects' transcripts).
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-json-schemas-'));
  await runDemo({ out: join(dir, 'demo'), quick: true, log: () => undefined });
  const d = join(dir, 'demo');
  spec = join(d, 'provider', 'spec.json');
  key = join(d, 'provider', 'watermark-key.json');
  ledger = join(d, 'provider', 'ledger.sqlite');
  clone = join(d, 'investigator', 'transcripts', 'clone.jsonl');
  control = join(d, 'investigator', 'transcripts', 'control.jsonl');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run, expect the exit code, parse stdout strictly with the schema. */
async function parsed<S extends z.ZodTypeAny>(schema: S, args: string[], code = 0, timeoutMs = 60_000): Promise<{ out: z.infer<S>; stdout: string }> {
  const r = await runInProcess(args, { timeoutMs });
  expect(r.code, r.stderr).toBe(code);
  const res = schema.safeParse(JSON.parse(r.stdout));
  if (!res.success) throw new Error(`${args.slice(0, 2).join(' ')} --json does not match its schema:\n${res.error.message}`);
  return { out: res.data as z.infer<S>, stdout: r.stdout };
}

describe('strictness: the schemas reject an unknown or a missing field', () => {
  it('ledger info', () => {
    const ok = { command: 'ledger info', ledger: 'l', specId: 'a'.repeat(64), keyFingerprint: 'b'.repeat(32), responses: 1, windows: 2, accounts: 1, completionTokens: 3 };
    expect(LedgerInfoOutputSchema.safeParse(ok).success).toBe(true);
    expect(LedgerInfoOutputSchema.safeParse({ ...ok, extra: 1 }).success).toBe(false);
    const { windows: _w, ...missing } = ok;
    expect(LedgerInfoOutputSchema.safeParse(missing).success).toBe(false);
  });
});

describe('--json output parses with its schema (inputs from a quick demo run)', () => {
  it('radioactivity (control, decoys, families)', async () => {
    const { out, stdout } = await parsed(RadioactivityOutputSchema, ['radioactivity', '--spec', spec, '--key', key, '--transcript', clone, '--control', control, '--decoys', '3', '--decoy-seed', '0'.repeat(64), '--families', '4', '--json']);
    expect(out.verdict).toBe('detected');
    expect(out.variants[0]!.control).not.toBeNull();
    expect(stdout.startsWith('{\n  "command": "radioactivity"')).toBe(true); // pretty
    // and the error path: an unknown field added to the output would fail
    expect(RadioactivityOutputSchema.safeParse({ ...out, extra: true }).success).toBe(false);
  });

  it('plan: assumed (binomial and gamma) and pilot', async () => {
    const q = await parsed(PlanOutputSchema, ['plan', '--scheme', 'kgw', '--q', '0.3', '--tokens-per-response', '50', '--json']);
    expect(q.out.plans[0]!.plan.queries).not.toBeNull();
    const g = await parsed(PlanOutputSchema, ['plan', '--scheme', 'gumbel', '--mean', '1.2', '--json']);
    expect(g.out.nullModel).toEqual({ kind: 'gamma' });
    const p = await parsed(PlanOutputSchema, ['plan', '--spec', spec, '--key', key, '--pilot', clone, '--json']);
    expect(p.out.source).toBe('pilot');
    expect(p.out.pilot).not.toBeNull();
  });

  it('attribute clone', async () => {
    const { out } = await parsed(AttributeCloneOutputSchema, ['attribute', 'clone', '--spec', spec, '--key', key, '--transcript', clone, '--ledger', ledger, '--json']);
    expect(out.accounts.length).toBe(out.candidates);
  });

  it('ledger info and lookup (hit: exit 0; miss: exit 1), pretty JSON with a command field like every command', async () => {
    const info = await parsed(LedgerInfoOutputSchema, ['ledger', 'info', '--ledger', ledger, '--json']);
    expect(info.stdout.trimEnd().split('\n').length).toBeGreaterThan(1);
    expect(info.out.command).toBe('ledger info');
    const text = (JSON.parse(readFileSync(join(dir, 'demo', 'cloner', 'harvest.jsonl'), 'utf8').split('\n')[0]!) as { text: string }).text;
    const textFile = join(dir, 'issued.txt');
    writeFileSync(textFile, text);
    const hit = await parsed(LedgerLookupOutputSchema, ['ledger', 'lookup', '--file', textFile, '--ledger', ledger, '--json']);
    expect(hit.out.found).toBe(true);
    expect(hit.out.responses.length).toBeGreaterThan(0);
    const miss = await parsed(LedgerLookupOutputSchema, ['ledger', 'lookup', 'a text never issued', '--ledger', ledger, '--json'], 1);
    expect(miss.out).toMatchObject({ found: false, responses: [] });
  });
});

describe('--json output parses with its schema (generated inputs)', () => {
  it('attribute leaks: candidates (holm) and all ids (bonferroni)', async () => {
    const fx = makeFixture({ payload: { bits: 16, digitBits: 2 } });
    const leak = join(dir, 'leak.txt');
    writeFileSync(leak, humanText({ split: 'calibration' })[0]!.text.slice(0, 1500));
    const base = ['attribute', 'leaks', '--spec', fx.specPath, '--key', fx.keyPath, '--file', leak, '--json'];
    const holm = await parsed(AttributeLeaksOutputSchema, [...base, '--candidates', 'a=1,b=2']);
    expect(holm.out.method).toBe('holm');
    const all = await parsed(AttributeLeaksOutputSchema, base);
    expect(all.out.method).toBe('bonferroni');
    expect(all.out.texts[0]!.best!.account).toBeNull();
    rmSync(fx.dir, { recursive: true, force: true });
  });

  it('bench (a tiny --quick run)', async () => {
    const args = ['bench', '--quick', '--json', '--quiet', '--samples', '4', '--null-samples', '8', '--lengths', '20', '--attacks', 'typo:0.05', '--attack-length', '20', '--out', join(dir, 'bench')];
    const { out } = await parsed(BenchOutputSchema, args, 0, 120_000);
    expect(out.config.lengths).toEqual([20]);
    expect(JSON.parse(readFileSync(join(dir, 'bench', 'results.json'), 'utf8')).tool).toBe('tracemark bench');
  }, 150_000);
});


describe('docs/OUTPUTS.md', () => {
  it('names every exported output schema, and the README links to it', () => {
    const dirOf = join(REPO_ROOT, 'packages/cli/src/schemas');
    const src = readdirSync(dirOf).map((f) => readFileSync(join(dirOf, f), 'utf8')).join('\n');
    const names = [...src.matchAll(/^export const (\w+OutputSchema)\b/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(18);
    const doc = readFileSync(join(REPO_ROOT, 'docs/OUTPUTS.md'), 'utf8');
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain('(docs/OUTPUTS.md)');
  });
});
