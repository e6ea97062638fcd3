/**
 * The tracemark CLI from this checkout's sources, as the experiment's stages run it: a
 * student is tested through the same commands a real investigator types.
 */
import { spawn } from 'node:child_process';
import { ROOT } from './setup.js';

/** node arguments that start `tracemark` from sources. */
export const CLI = ['--conditions=source', '--import', 'tsx', `${ROOT}packages/cli/src/bin.ts`];

/** Run `tracemark <args>` in cwd; its stdout, or an error with the command, exit code and stderr's last lines. */
export function runCli(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tracemark ${args[0]} exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`))));
  });
}
