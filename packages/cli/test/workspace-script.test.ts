/**
 * `npx -y pnpm@9 -s tracemark …` from any directory of the checkout: pnpm starts the
 * workspace script in the repository root and passes the user's directory as INIT_CWD;
 * the script asks bin.ts to move there, so relative paths mean what the user meant.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-initcwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, 'spec', 'show', 'my-spec.json', '--json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

describe('the workspace script', () => {
  it('sets TRACEMARK_CWD_FROM_INIT, and the README documents the silent form', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.tracemark).toMatch(/^TRACEMARK_CWD_FROM_INIT=1 node /);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain('npx -y pnpm@9 -s tracemark <command> --help');
  });

  it('resolves relative paths from INIT_CWD when the script asks, and only then', () => {
    writeFileSync(join(dir, 'my-spec.json'), JSON.stringify({ version: 1, scheme: { name: 'kgw' }, keyFingerprint: 'ab'.repeat(16) }));
    const moved = run({ TRACEMARK_CWD_FROM_INIT: '1', INIT_CWD: dir });
    expect(moved.stderr).toBe('');
    expect(moved.status).toBe(0);
    expect(JSON.parse(moved.stdout).spec.keyFingerprint).toBe('ab'.repeat(16));
    // without the script's flag, INIT_CWD (set by any npm/pnpm script) does not move the process
    const stays = run({ INIT_CWD: dir });
    expect(stays.status).toBe(2);
    expect(stays.stderr).toMatch(/my-spec\.json/);
  });
});
