/**
 * The cli README against the program (issue 17): its command list names every command of
 * `tracemark --help` and every subcommand of each (`spec init | show | check`, …); and no
 * file of the repository refers to a DESIGN document, which the repository does not have
 * (the design notes live outside it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';

/** Command names in the "Commands:" section of a help text (without commander's `help`). */
function commandsOf(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

describe('packages/cli/README.md', () => {
  it('lists every command and subcommand of the program', async () => {
    const top = await runInProcess(['--help']);
    expect(top.code).toBe(0);
    const commands = commandsOf(top.stdout);
    expect(commands.length).toBeGreaterThanOrEqual(15);
    const readme = readFileSync(join(REPO_ROOT, 'packages/cli/README.md'), 'utf8');
    const block = readme.split('```')[1]!; // the command list
    const lineOf = new Map(block.split('\n').filter(Boolean).map((l) => [l.split(/\s+/)[0]!, l]));
    const helps = await Promise.all(commands.map((c) => runInProcess([c, '--help'])));
    commands.forEach((c, i) => {
      const line = lineOf.get(c);
      expect(line, `command ${c} missing from the README's command list`).toBeDefined();
      for (const sub of commandsOf(helps[i]!.stdout)) {
        expect(line, `subcommand ${c} ${sub} missing from the README's command list`).toMatch(new RegExp(`(^|[\\s|])${sub}([\\s|]|$)`));
      }
    });
    expect([...lineOf.keys()].sort()).toEqual([...commands].sort()); // and nothing that is not a command
  });
});

describe('references to documents', () => {
  it('no file refers to a DESIGN document (there is none in the repository)', () => {
    expect(existsSync(join(REPO_ROOT, 'DESIGN.md')) || existsSync(join(REPO_ROOT, 'docs/DESIGN.md'))).toBe(false);
    const self = fileURLToPath(import.meta.url);
    const found: string[] = [];
    // The files of the repository, not whatever lies in the working tree (ignored experiment
    // outputs can be hundreds of MB).
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 })
      .split('\0')
      .filter((f) => /\.(md|ts|js|mjs|py|json|html)$/.test(f) && !f.endsWith('pnpm-lock.yaml'));
    for (const file of tracked) {
      const path = join(REPO_ROOT, file);
      if (path === self || !existsSync(path)) continue;
      readFileSync(path, 'utf8').split('\n').forEach((l, n) => {
        // the file name in capitals, or "design doc/document/notes" in any case; the word "design" alone is fine
        if (/\bDESIGN\b/.test(l) || /\bdesign (doc|document|notes)\b/i.test(l)) found.push(`${file}:${n + 1}: ${l.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
