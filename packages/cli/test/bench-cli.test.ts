/**
 * `tracemark bench` end to end through the program, in-process (--quick): the output's shape,
 * the files written, the sanity row, and determinism — the same seed run in this
 * process gives the same numbers as the command (timing fields excepted), another
 * seed gives other numbers. Bad flags fail with one-line usage errors (exit 2).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchOptions } from '../src/commands/bench.js';
import { benchConfig, writeBenchOutputs, renderMarkdown, runBench } from '@tracemark/bench';
import type { BenchResults } from '@tracemark/bench';
import { jsonReplacer } from '../src/io/output.js';
import { runInProcess } from './helpers/cli.js';

let dir: string;
let cli: BenchResults;
let commandField: string;

/** The results without wall-clock fields (the determinism contract). */
function stable(r: BenchResults): unknown {
  const { timing: _t, ...rest } = JSON.parse(JSON.stringify(r, jsonReplacer)) as BenchResults;
  return rest;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-bench-'));
  const res = await runInProcess(['bench', '--quick', '--json', '--quiet', '--seed', '7', '--out', join(dir, 'out')], { timeoutMs: 120_000 });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  // --json is the results with the command's name (as every command's --json); results.json has no command field
  const { command, ...results } = JSON.parse(res.stdout) as BenchResults & { command: string };
  commandField = command;
  cli = results;
}, 150_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tracemark bench --quick --json', () => {
  it('has the documented shape', () => {
    const c = cli.config;
    expect(cli.tool).toBe('tracemark bench');
    expect(commandField).toBe('bench');
    expect(c.seed).toBe(7);
    expect(c.fprs).toEqual([1e-2, 1e-3, 1e-5]);
    const S = cli.schemes.length, L = c.lengths.length, K = c.temperatures.length;
    expect(S).toBe(2);
    expect(cli.detection).toHaveLength(S * L * K);
    expect(cli.sanity).toHaveLength(S * L * K);
    expect(cli.fpr).toHaveLength(S * L * (K + 1)); // human + model@T per temperature
    expect(cli.size).toHaveLength(S * K);
    expect(cli.quality).toHaveLength((S + 1) * K);
    expect(cli.attacks).toHaveLength(S * c.attacks.length);
    expect(cli.copyPasteNull).toHaveLength(S);
    expect(Array.isArray(cli.fprRecheck)).toBe(true);
    expect(cli.nullSummary.sanity.cells).toBe(S * L * K * 3);
    expect(cli.nullSummary.fpr.cells).toBe(S * L * (K + 1) * 3);
    for (const d of cli.detection) {
      expect(d.samples).toBe(c.samples);
      expect(d.tpr.map((t) => t.fpr)).toEqual(c.fprs);
      for (const t of d.tpr) {
        expect(t.k).toBeLessThanOrEqual(t.n);
        expect(t.lo).toBeLessThanOrEqual(t.rate);
        expect(t.hi).toBeGreaterThanOrEqual(t.rate);
      }
      expect(d.meanTokens).toBeLessThanOrEqual(d.length);
    }
    for (const f of cli.fpr) for (const r of f.rows) expect(['ok', 'conservative', 'anti-conservative']).toContain(r.verdict);
    for (const a of cli.attacks.filter((x) => x.name === 'copy-paste')) expect(a.tprWindowed).toHaveLength(3);
    expect(cli.data.humanNull.texts).toBe(c.nullSamples);
    expect(cli.timing.totalSeconds).toBeGreaterThan(0);
    expect(cli.timing.generation.every((g) => g.tokensPerSecond > 0)).toBe(true);
  });

  it('detects its own watermark, and the sanity row (no watermark) has TPR = FPR within the interval', () => {
    const at100 = cli.detection.filter((d) => d.length === 100);
    for (const d of at100) expect(d.tpr.find((t) => t.fpr === 1e-3)!.rate).toBeGreaterThanOrEqual(0.9);
    for (const d of cli.sanity) {
      for (const t of d.tpr) {
        expect(t.lo).toBeLessThanOrEqual(t.fpr);
        expect(t.hi).toBeGreaterThanOrEqual(t.fpr);
      }
    }
    // normalisation undoes the obfuscation attacks
    for (const a of cli.attacks.filter((x) => x.name === 'zero-width' || x.name === 'homoglyph')) {
      const off = a.tpr.find((t) => t.fpr === 1e-3)!.rate, on = a.tprNormalized.find((t) => t.fpr === 1e-3)!.rate;
      expect(on).toBeGreaterThanOrEqual(off);
      expect(on).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('wrote results.json, report.md and the charts', () => {
    const out = join(dir, 'out');
    for (const f of ['results.json', 'report.md', 'tpr-vs-length-t1.svg', 'size-t1.svg', 'robustness.svg', 'robustness-normalized.svg']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
    expect(stable(saved)).toEqual(stable(cli));
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md.startsWith('# tracemark detection benchmark')).toBe(true);
    expect(md).toContain('tracemark bench --quick --seed 7');
    expect(md).toContain('## Findings');
    expect(readFileSync(join(out, 'robustness.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('is deterministic: the same seed in this process gives the same numbers; another seed does not', async () => {
    // in this thread, and in two worker threads: results do not depend on where tasks run
    const again = await runBench(benchConfig(benchOptions({ quick: true, seed: '7' })));
    expect(stable(again)).toEqual(stable(cli));
    const pooled = await runBench(benchConfig(benchOptions({ quick: true, seed: '7', workers: '2' })));
    expect(pooled.timing.workers).toBe(2);
    expect(stable(pooled)).toEqual(stable(cli));
    // the report differs only in its wall-clock parts (the runtime line and the Speed section)
    const strip = (md: string): string => md.replace(/^Runtime .*$/m, '').replace(/## Speed[\s\S]*?## Limits/, '');
    expect(strip(renderMarkdown(again))).toBe(strip(renderMarkdown(cli)));
    const other = await runBench(benchConfig(benchOptions({ quick: true, seed: '8', attacks: 'none', lengths: '25' })));
    expect(other.schemes[0]!.keyFingerprint).not.toBe(cli.schemes[0]!.keyFingerprint);
    expect(other.detection[0]!.medianLog10P).not.toBe(cli.detection.find((d) => d.length === 25 && d.scheme === other.detection[0]!.scheme)!.medianLog10P);
    // writing the outputs with a separate Markdown file links the charts relative to it
    const written = writeBenchOutputs(again, join(dir, 'again'), join(dir, 'BENCH.md'));
    expect(written).toContain(join(dir, 'BENCH.md'));
    expect(readFileSync(join(dir, 'BENCH.md'), 'utf8')).toContain('](again/tpr-vs-length-t1.svg)');
  }, 60_000);
});

describe('bad flags', () => {
  it.each([
    [['--schemes', 'kgw-q1'], /--schemes: unknown option/],
    [['--attacks', 'typo:2'], /--attacks: attack typo needs a rate in \[0, 1\]/],
    [['--lengths', '0,10'], /--lengths/],
    [['--temperatures', '0.7', '--attack-temperature', '1'], /--attack-temperature must be one of --temperatures/],
    [['--attacks', 'paraphrase'], /need --paraphrase-url and --paraphrase-model/],
    [['--paraphrase-url', 'http://127.0.0.1:1/v1'], /go together/],
    [['--preset', 'nope'], /--preset must be one of full, quick, engines \(got "nope"\)/],
    [['--preset', 'engines'], /--quick and --preset engines disagree/],
    [['--schemes', 'vllm/nope'], /--schemes: unknown engine scheme "vllm\/nope"/],
  ])('%j → exit 2 with a one-line error', async (args, msg) => {
    const r = await runInProcess(['bench', '--quick', ...args], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
