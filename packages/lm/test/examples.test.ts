/**
 * The runnable example examples/logits-processor.ts: watermarking inside
 * transformers.js's own generate() on a tiny model it writes itself, detected from
 * text with the model's own tokenizer (hf:<dir>).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/logits-processor.ts', () => {
  it('generates 200 watermarked tokens that are detected, and an unwatermarked text that is not', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/lm/examples/logits-processor.ts'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^watermarked \(200 steps\): /m);
    const line = (label: string): { scored: number; p: number } => {
      const m = new RegExp(`^${label}: (\\d+) tuples scored, p = (\\S+)$`, 'm').exec(r.stdout);
      expect(m, label).not.toBeNull();
      return { scored: Number(m![1]), p: Number(m![2]) };
    };
    const text = line('watermarked text');
    const ids = line('watermarked ids');
    const plain = line('unwatermarked text');
    // 200 tokens at δ = 3, γ = 0.25 (fresh key each run): far past any threshold.
    expect(text.scored).toBeGreaterThan(100);
    expect(text.p).toBeLessThan(1e-12);
    expect(ids.p).toBeLessThan(1e-12);
    expect(plain.scored).toBeGreaterThan(100);
    // Unwatermarked: p is uniform under the null, so this fails once in 10⁴ runs.
    expect(plain.p).toBeGreaterThan(1e-4);
    expect(plain.p).toBeLessThanOrEqual(1);
  });
});
