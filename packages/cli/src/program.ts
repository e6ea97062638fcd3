/**
 * The `tracemark` program, apart from the process entry (bin.ts) so that it can run
 * in-process: `runProgram(args, io)` returns the exit code instead of exiting, and
 * everything the commands print goes to `io` (see io/output.ts).
 *
 * Each subcommand lives in src/commands/<name>.ts and exports `register<Name>(program)`;
 * add it to COMMANDS below to make it available.
 *
 * Exit codes: 0 success; 1 runtime failure (or "not found" where a command says so);
 * 2 bad usage or bad input (unknown option, missing/invalid spec, key or keys file,
 * a key that does not match the spec). Errors are one line on stderr:
 * `tracemark: <message>`. An error may carry its own `exitCode`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { setWarningSink } from '@tracemark/detector';
import { registerLedger } from './commands/ledger.js';
import { registerServe } from './commands/serve.js';
import { currentIo, processIo, warn, withRunContext, type Io, type OutStream, type RunContext } from './io/output.js';

type Register = (program: Command) => void;

/** Subcommands, in help order. */
const COMMANDS: Register[] = [registerServe, registerLedger];
COMMANDS.push((await import('./commands/index.js')).registerCommands); // keygen, spec, detect, scan, probe, report, verify, generate, demo

const EXIT_USAGE = 2;

function version(): string {
  // ../package.json is the package root from both src/ (tsx) and dist/ (built).
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Help is wrapped to the terminal's width, and to commander's default (80) elsewhere. */
const helpWidth = (s: OutStream): number => (s.isTTY ? s.columns : undefined) ?? 80;

export function buildProgram(): Command {
  const program = new Command('tracemark')
    .description('keyed statistical watermarks for LLM outputs: serve, detect, and prove distillation')
    .version(version(), '-V, --version')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  // Subcommands inherit exitOverride only when it is set on each of them; the output
  // (help, version, usage errors) goes to the current run's Io, looked up when written.
  // Commander's own errors (unknown option or command, missing argument or option) are
  // one `tracemark: …` line like every other error; help text is left as it is.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    c.exitOverride().configureOutput({
      writeOut: (s) => void currentIo().stdout.write(s),
      writeErr: (s) => void currentIo().stderr.write(s),
      outputError: (s, write) => write(`${commanderError(s, c)}\n`),
      getOutHelpWidth: () => helpWidth(currentIo().stdout),
      getErrHelpWidth: () => helpWidth(currentIo().stderr),
    });
  }
  return program;
}

/** The words a user types for `c`: `tracemark spec show`. */
function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/**
 * A commander error message ("error: unknown option '--x'\n(Did you mean --y?)\n") as one
 * line: `tracemark: unknown option '--x' (Did you mean --y?) (see tracemark detect --help)`.
 */
export function commanderError(message: string, c: Command): string {
  const text = message
    .replace(/^error:\s*/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
  return `tracemark: ${text} (see ${commandPath(c)} --help)`;
}

/** The exit code of a failed run; commander has already printed its own messages. */
function failureCode(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version';
    return ok ? 0 : EXIT_USAGE;
  }
  const err = e as Error & { exitCode?: number };
  const msg = (err?.message ?? String(e)).split('\n')[0];
  io.stderr.write(`tracemark: ${msg}\n`);
  return typeof err?.exitCode === 'number' ? err.exitCode : 1;
}

/**
 * Run `tracemark <args>` (args without the node and script paths) with its output on
 * `io`, and return its exit code. A command's process.exitCode is taken as its exit
 * code and process.exitCode restored, so runs in one process do not leak into each other.
 */
export async function runProgram(args: readonly string[], io: Io = processIo): Promise<number> {
  setWarningSink(warn); // the libraries' warnings go to the current run's stderr
  const run: RunContext = { io };
  return withRunContext(run, async () => {
    const inherited = process.exitCode;
    try {
      await buildProgram().parseAsync(args, { from: 'user' });
      const set = process.exitCode !== inherited ? Number(process.exitCode) : undefined;
      return run.exitCode ?? set ?? 0;
    } catch (e) {
      return failureCode(e, io);
    } finally {
      process.exitCode = inherited;
    }
  });
}
