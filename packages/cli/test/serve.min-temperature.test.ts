/**
 * `serve --min-temperature <t>`: a bad value is one `tracemark:` line and exit 2 (before
 * anything is read or loaded); the flag does not apply with --upstream. The floor's
 * effect on served text is tested in packages/serve/test/min-temperature.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runInProcess } from './helpers/cli.js';

describe('serve --min-temperature', () => {
  it.each(['abc', '-1', '2.5', '', '0.5x', 'NaN'])('refuses %j: one line, exit 2', async (v) => {
    const r = await runInProcess(['serve', '--spec', 'no-spec.json', '--key', 'no-key.json', '--min-temperature', v]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--min-temperature must be a number in [0, 2]');
  });

  it('does not apply with --upstream', async () => {
    const r = await runInProcess(['serve', '--spec', 'no-spec.json', '--key', 'no-key.json', '--upstream', 'http://127.0.0.1:9/v1', '--min-temperature', '0.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--min-temperature does not apply with --upstream');
  });

  it('a valid value passes the check (the missing spec file is the next error)', async () => {
    const r = await runInProcess(['serve', '--spec', 'no-spec.json', '--key', 'no-key.json', '--min-temperature', '0.5']);
    expect(r.stderr).not.toContain('--min-temperature');
    expect(r.stderr).toContain('no-spec.json');
  });
});
