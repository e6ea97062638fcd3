/**
 * The typed benchmark configuration: presets fill what is not given, lists are
 * deduplicated and ordered, every setting is range-checked with an error naming its
 * flag; the outputs land in one directory with chart links relative to a second report.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchConfig, FULL, QUICK } from '../src/config.js';
import { benchCommandLine, writeBenchOutputs } from '../src/outputs.js';
import type { BenchResults } from '../src/types.js';

describe('benchConfig', () => {
  it('fills the quick preset and the default FPRs; seed 1', () => {
    const c = benchConfig({ quick: true });
    expect(c.schemes.map((s) => s.id)).toEqual(QUICK.schemes);
    expect(c.lengths).toEqual(QUICK.lengths);
    expect(c.fprs).toEqual([1e-2, 1e-3, 1e-5]);
    expect(c.seed).toBe(1);
    expect(c.quick).toBe(true);
    expect(c.workers).toBe(0);
    expect(c.attacks.map((a) => a.name)).toEqual(['none', 'typo', 'delete', 'synonym', 'copy-paste', 'homoglyph', 'zero-width']);
    expect(c.attackTemperature).toBe(1);
  });

  it('sorts and deduplicates lists; the attack temperature defaults to the highest when 1 is absent', () => {
    const c = benchConfig({ lengths: [100, 25, 100], temperatures: [0.5, 0.7], fprs: [1e-5, 1e-2], attacks: ['none'] });
    expect(c.lengths).toEqual([25, 100]);
    expect(c.fprs).toEqual([1e-2, 1e-5]);
    expect(c.attackTemperature).toBe(0.7);
    expect(c.attacks).toEqual([]);
    expect(c.samples).toBe(FULL.samples);
  });

  it('rejects out-of-range settings naming the flag', () => {
    expect(() => benchConfig({ lengths: [0, 10] })).toThrow(/--lengths: "0" is not integers in \[1, 4096\]/);
    expect(() => benchConfig({ lengths: [] })).toThrow(/--lengths must be a comma-separated list/);
    expect(() => benchConfig({ temperatures: [0.7], attackTemperature: 1 })).toThrow(/--attack-temperature must be one of --temperatures \(0.7\) \(got "1"\)/);
    expect(() => benchConfig({ samples: 0 })).toThrow(/--samples must be an integer in \[1, 100000\]/);
    expect(() => benchConfig({ workers: 1.5 })).toThrow(/--workers/);
    expect(() => benchConfig({ attacks: ['typo:2'] })).toThrow(/--attacks: attack typo needs a rate/);
    expect(() => benchConfig({ attacks: ['paraphrase'] })).toThrow(/need --paraphrase-url and --paraphrase-model/);
    expect(() => benchConfig({ schemes: ['kgw-q1'] })).toThrow(/--schemes: unknown option/);
  });

  it('a paraphrase endpoint adds the paraphrase and translate attacks', () => {
    const c = benchConfig({ quick: true, attacks: ['none'], paraphrase: { url: 'http://127.0.0.1:1/v1', model: 'm' } });
    expect(c.attacks).toEqual([]);
    const d = benchConfig({ quick: true, attacks: ['typo:0.1'], paraphrase: { url: 'http://127.0.0.1:1/v1', model: 'm' } });
    expect(d.attacks.map((a) => a.name)).toEqual(['typo', 'paraphrase', 'translate']);
    expect(d.paraphrase).toEqual({ url: 'http://127.0.0.1:1/v1', model: 'm' });
  });
});

describe('benchCommandLine', () => {
  it('lists the flags given, seed always, quoting values with spaces', () => {
    expect(benchCommandLine({ quick: true })).toBe('tracemark bench --quick --seed 1');
    expect(benchCommandLine({ seed: '7', lengths: '25,50', paraphraseModel: 'a b', out: 'x' })).toBe('tracemark bench --seed 7 --lengths 25,50 --paraphrase-model "a b" --out x');
  });
});

describe('writeBenchOutputs', () => {
  it('refuses an output directory it cannot create', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracemark-bench-out-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, 'x');
      expect(() => writeBenchOutputs({} as BenchResults, join(file, 'sub'))).toThrow(/cannot create output directory/);
      expect(readFileSync(file, 'utf8')).toBe('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
