#!/usr/bin/env node
/** The `tracemark` command: the program (program.ts) on this process's argv and streams. */
import { runProgram } from './program.js';

/**
 * A reader that stops reading (`tracemark detect … | head -1`) closes the pipe: the next
 * write fails with EPIPE, which Node reports as an unhandled 'error' event and a stack
 * trace. Treat it as a C program treats SIGPIPE, ending at once, but with exit code 0:
 * the reader chose to stop, and under `set -o pipefail` its own status reports a failure
 * of the reader (packages/cli/README.md, "Closed pipes"). Any other stream error is
 * rethrown as before.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
exitQuietlyOnClosedPipe(process.stdout);
exitQuietlyOnClosedPipe(process.stderr);

/**
 * Run through the workspace script (`npx -y pnpm@9 -s tracemark …`), the process starts in
 * the repository root, not where the user typed the command; pnpm passes that directory as
 * INIT_CWD. The script sets TRACEMARK_CWD_FROM_INIT so that only it moves us there (a
 * script of some other project keeps its own working directory), and relative paths mean
 * what the user meant. The flag is not passed on to child processes.
 */
function cwdFromWorkspaceScript(env: NodeJS.ProcessEnv): void {
  if (env.TRACEMARK_CWD_FROM_INIT !== '1') return;
  delete env.TRACEMARK_CWD_FROM_INIT;
  if (env.INIT_CWD) process.chdir(env.INIT_CWD);
}
cwdFromWorkspaceScript(process.env);

const code = await runProgram(process.argv.slice(2));
// A failure exits at once; success lets what the command started run on (serve keeps listening).
if (code !== 0) process.exit(code);
