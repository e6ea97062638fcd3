/**
 * Errors of the CLI commands. The entry point (bin.ts) prints `tracemark: <first line>`
 * on stderr and exits with the error's `exitCode` (1 runtime failure, 2 bad usage or
 * bad input). Messages never contain key material.
 */

/** Exit codes of the CLI (docs/SERVE.md): 1 runtime failure, 2 bad usage or bad input files. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error the CLI entry prints as `tracemark: <message>` before exiting with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}

/** Bad input (files, flags, data): exit 2. */
export function usage(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Runtime failure (network, I/O, a check that failed): exit 1. */
export function failure(message: string): CliError {
  return new CliError(message, EXIT_FAILURE);
}

/** The first line of an error's message (for one-line stderr reports). */
export function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] ?? m;
}

/** Re-throw anything that is not a CliError as one (keeping CliErrors and their codes). */
export function asCliError(e: unknown, prefix: string, code = EXIT_USAGE): CliError {
  if (e instanceof CliError) return e;
  return new CliError(`${prefix}${firstLine(e)}`, code);
}
