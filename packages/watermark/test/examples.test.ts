// The package README's runnable examples run and print what they promise.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const run = (file: string) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', file], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });

describe('packages/watermark/examples', () => {
  it('engine-watermark.ts: vLLM reads its own watermark written by the emulated sampler, tracemark scores are high', () => {
    const r = run('packages/watermark/examples/engine-watermark.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const p = Number(/^vllm's own detector: p = (\S+) over 200 positions \(watermarked\)$/m.exec(r.stdout)?.[1]);
    expect(p).toBeLessThan(1e-20);
    const mean = Number(/^tracemark's scores: mean (\S+) per position/m.exec(r.stdout)?.[1]);
    expect(mean).toBeGreaterThan(1.5);
  });

  it('score-a-sequence.ts runs', () => {
    const r = run('packages/watermark/examples/score-a-sequence.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^spec: \{"version":1,/m);
    expect(r.stdout).toMatch(/^position 1: token 3303 is (green|red)$/m);
    expect(r.stdout).not.toMatch(/"key":"[0-9a-f]{64}"/);
  });
});
