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
    const p = Number(/^detected: \d+ tuples scored, p = (\S+)$/m.exec(r.stdout)?.[1]);
    expect(p).toBeLessThan(1e-6);
    expect(r.stdout).toMatch(/^ledger: issued to anonymous at \d{4}-\d\d-\d\dT/m);
  });
});
