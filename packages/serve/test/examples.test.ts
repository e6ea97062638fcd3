/**
 * The runnable example examples/mount.ts: a plain node:http program mounting the
 * handler, called with the official openai client, its response detected and found
 * in the ledger.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/mount.ts', () => {
  it('serves through the mounted handler, detects the response and finds it in the ledger', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/serve/examples/mount.ts'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^served: \d+ tokens from kn\d-o200k_base-reference$/m);
    const m = /^detected: (\d+) tuples scored, p = (\S+)$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    const scored = Number(m![1]);
    const p = Number(m![2]);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThanOrEqual(1);
    // The key is fresh each run and the model may end its text early (end-of-text):
    // a strong p is only owed when the response is long enough to carry one.
    if (scored >= 80) expect(p).toBeLessThan(1e-6);
    expect(r.stdout).toMatch(/^ledger: issued to anonymous at \d{4}-\d\d-\d\dT/m);
  });
});
