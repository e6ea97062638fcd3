#!/usr/bin/env node
/**
 * The `tracemark` command. Each subcommand lives in src/commands/<name>.ts and
 * exports `register<Name>(program)`; add it to COMMANDS below to make it available.
 *
 * Exit codes: 0 success; 1 runtime failure (or "not found" where a command says so);
 * 2 bad usage or bad input (unknown option, missing/invalid spec, key or keys file,
 * a key that does not match the spec). Errors are one line on stderr:
 * `tracemark: <message>`. An error may carry its own `exitCode`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerLedger } from './commands/ledger.js';
import { registerServe } from './commands/serve.js';

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

export function buildProgram(): Command {
  const program = new Command('tracemark')
    .description('keyed statistical watermarks for LLM outputs: serve, detect, and prove distillation')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  // Subcommands inherit exitOverride only when it is set on each of them.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message (or the help / version text).
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version';
      process.exit(ok ? 0 : EXIT_USAGE);
    }
    const err = e as Error & { exitCode?: number };
    const msg = (err?.message ?? String(e)).split('\n')[0];
    process.stderr.write(`tracemark: ${msg}\n`);
    process.exit(typeof err?.exitCode === 'number' ? err.exitCode : 1);
  }
}

await main(process.argv);
