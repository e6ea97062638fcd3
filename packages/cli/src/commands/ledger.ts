/**
 * `tracemark ledger …`: questions an investigator asks the provenance ledger.
 *   export-filter  the windows sent to given accounts → a filter file for the detector
 *   lookup         did we issue this text (or SHA-256)? to whom, when?
 *   info           what the ledger is bound to and how much it holds
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  encodeFilterBinary,
  encodeFilterJson,
  exportFilter,
  filterFormatOf,
  ledgerInfo,
  lookupText,
  type FilterHeader,
  type LedgerStore,
  openLedgerStore,
  redactLocation,
} from '@tracemark/serve';
import { CliError, EXIT_FAILURE, sha256Hex } from '@tracemark/detector';
import { printJson, println, setExitCode, warn } from '../io/output.js';

/** A SQLite file or a postgres:// URL, read-only; errors name it without a URL's password. */
async function openLedger(location: string): Promise<LedgerStore> {
  try {
    return await openLedgerStore(location);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** ISO 8601 date/time or epoch milliseconds. */
export function parseTime(name: string, v: string): number {
  const s = v.trim();
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(ms)) throw new CliError(`--${name} must be an ISO date/time or epoch milliseconds (got ${JSON.stringify(v)})`);
  return ms;
}

export interface ExportFlags {
  ledger: string;
  accounts: string;
  since?: string;
  until?: string;
  out: string;
  format?: string;
}

export async function runExportFilter(f: ExportFlags): Promise<{ header: FilterHeader; path: string }> {
  const accounts = [...new Set(f.accounts.split(',').map((a) => a.trim()).filter((a) => a.length > 0))];
  if (accounts.length === 0) throw new CliError('--accounts needs at least one account name (comma-separated)');
  const sinceMs = f.since !== undefined ? parseTime('since', f.since) : undefined;
  const untilMs = f.until !== undefined ? parseTime('until', f.until) : undefined;
  const format = filterFormatOf(f.out, f.format);
  if (format === undefined) {
    throw new CliError(`cannot tell the filter format from ${JSON.stringify(f.out)}: name it *.json or *.bin, or pass --format json|bin`);
  }
  const ledger = await openLedger(f.ledger);
  try {
    const { header, windows, missing } = await exportFilter(ledger, { accounts, ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}) });
    if (missing.length > 0) warn(`no responses in the ledger for ${missing.join(', ')}`);
    try {
      writeFileSync(f.out, format === 'json' ? encodeFilterJson(header, windows) : encodeFilterBinary(header, windows));
    } catch (e) {
      throw new CliError(`cannot write ${f.out}: ${(e as Error).message}`, EXIT_FAILURE);
    }
    return { header, path: f.out };
  } finally {
    await ledger.close();
  }
}

export interface LookupFlags {
  ledger: string;
  json?: boolean;
  file?: string;
  text?: boolean;
}

/** Returns the process exit code: 0 found, 1 not found (like grep). */
export async function runLookup(arg: string | undefined, f: LookupFlags): Promise<number> {
  let sha: string;
  if (f.file !== undefined) {
    if (arg !== undefined) throw new CliError('give either a text/SHA-256 argument or --file, not both');
    let text: string;
    try {
      text = readFileSync(f.file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${f.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    sha = sha256Hex(text);
  } else {
    if (arg === undefined) throw new CliError('lookup needs a text, a SHA-256 (64 hex digits) or --file <path>');
    sha = !f.text && /^[0-9a-fA-F]{64}$/.test(arg) ? arg.toLowerCase() : sha256Hex(arg);
  }
  const ledger = await openLedger(f.ledger);
  let found;
  try {
    found = await lookupText(ledger, sha);
  } finally {
    await ledger.close();
  }
  const hits = found.responses;
  if (f.json) {
    printJson({ command: 'ledger lookup', ...found });
  } else if (hits.length === 0) {
    println(`not issued: no response with text SHA-256 ${sha} in ${redactLocation(f.ledger)}`);
  } else {
    println(`issued ${hits.length} time${hits.length > 1 ? 's' : ''} (text SHA-256 ${sha}):`);
    for (const h of hits) {
      const id = h.accountId !== null ? ` (id ${h.accountId})` : '';
      println(`  ${h.createdAt}  ${h.responseId} choice ${h.choice}  account ${h.account}${id}  ${h.endpoint}  model ${h.modelId}  ${h.completionTokens} tokens  ${h.finishReason}`);
    }
  }
  return hits.length > 0 ? 0 : 1;
}

export async function runInfo(f: { ledger: string; json?: boolean }): Promise<void> {
  const ledger = await openLedger(f.ledger);
  try {
    const s = await ledgerInfo(ledger);
    const info = { ledger: redactLocation(f.ledger), ...s };
    if (f.json) printJson({ command: 'ledger info', ...info });
    else {
      println(
        `ledger ${info.ledger}\n  spec ${info.specId}\n  key fingerprint ${info.keyFingerprint}\n  ${s.responses} responses (${s.completionTokens} tokens), ${s.accounts} accounts, ${s.windows} distinct windows`,
      );
    }
  } finally {
    await ledger.close();
  }
}

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('query the provenance ledger written by `tracemark serve`');
  ledger
    .command('export-filter')
    .description('write the union of window hashes sent to the given accounts (a filter for the detector)')
    .requiredOption('--ledger <file>', 'ledger written by serve: a SQLite file or a postgres:// URL')
    .requiredOption('--accounts <a,b,...>', 'comma-separated account names')
    .option('--since <time>', 'only responses at or after this time (ISO 8601 or epoch ms)')
    .option('--until <time>', 'only responses before this time (ISO 8601 or epoch ms)')
    .requiredOption('--out <file>', 'output: *.json or *.bin (see docs/SERVE.md for both formats)')
    .option('--format <json|bin>', 'output format when the file name does not say')
    .action(async (flags: ExportFlags) => {
      const { header, path } = await runExportFilter(flags);
      println(JSON.stringify({ event: 'filter', out: path, specId: header.specId, accounts: header.accounts, responses: header.responses, windows: header.count }));
    });
  ledger
    .command('lookup')
    .description('did we issue this text? (exact SHA-256 match of the response text) — exit 0 found, 1 not found')
    .argument('[text-or-sha256]', 'the text, or its SHA-256 as 64 hex digits')
    .requiredOption('--ledger <file>', 'ledger written by serve: a SQLite file or a postgres:// URL')
    .option('--file <path>', 'read the text from a file (exact bytes, UTF-8)')
    .option('--text', 'treat the argument as text even if it looks like a SHA-256')
    .option('--json', 'machine-readable output')
    .action(async (arg: string | undefined, flags: LookupFlags) => {
      setExitCode(await runLookup(arg, flags));
    });
  ledger
    .command('info')
    .description('the spec the ledger is bound to, and its row counts')
    .requiredOption('--ledger <file>', 'ledger written by serve: a SQLite file or a postgres:// URL')
    .option('--json', 'machine-readable output')
    .action((flags: { ledger: string; json?: boolean }) => runInfo(flags));
}
