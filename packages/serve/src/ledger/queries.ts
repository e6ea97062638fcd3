/**
 * The questions an investigator asks a ledger (what `tracemark ledger` answers),
 * over any LedgerStore: the supervised filter for given accounts, "did we issue
 * this text?", and what the ledger is bound to and holds.
 */
import { FILTER_VERSION, type FilterHeader } from './filter.js';
import { CliError } from '@tracemark/detector';
import type { LedgerCounts, LedgerEntry, LedgerStore } from './store.js';

export interface FilterQuery {
  /** Account names (deduplicated by the caller; at least one). */
  accounts: readonly string[];
  /** Inclusive lower bound on the response time (epoch ms). */
  sinceMs?: number;
  /** Exclusive upper bound (epoch ms). */
  untilMs?: number;
}

export interface ExportedFilter {
  header: FilterHeader;
  /** Sorted ascending, unique. */
  windows: BigUint64Array;
  /** Asked accounts with no response in the range. */
  missing: string[];
}

/** The union of the windows sent to the accounts, with the header of its filter file. */
export async function exportFilter(store: LedgerStore, q: FilterQuery): Promise<ExportedFilter> {
  const { sinceMs, untilMs } = q;
  const r = await store.windowsForAccounts({
    accounts: q.accounts,
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(untilMs !== undefined ? { untilMs } : {}),
  });
  // Engine rows carry the reader's context digests (tracemark serve); rows of proxied
  // responses (serve --upstream) carry none: a filter of them would select nothing.
  const engine = engineSchemeOf(store.binding.specJson);
  if (engine !== null && r.responses > 0 && r.windows.length === 0) {
    // A usage error (exit 2 in the CLI): the ledger is fine, the question does not apply.
    throw new CliError(`the ${r.responses} response(s) selected in this ledger (engine spec ${engine}) were recorded without window hashes (proxied with --upstream?): no filter to export (ledger lookup and info work)`);
  }
  const header: FilterHeader = {
    type: 'tracemark-filter',
    version: FILTER_VERSION,
    specId: store.binding.specId,
    keyFingerprint: store.binding.keyFingerprint,
    accounts: [...q.accounts],
    since: sinceMs !== undefined ? new Date(sinceMs).toISOString() : null,
    until: untilMs !== undefined ? new Date(untilMs).toISOString() : null,
    created: new Date().toISOString(),
    responses: r.responses,
    count: r.windows.length,
  };
  return { header, windows: r.windows, missing: q.accounts.filter((a) => r.perAccount[a] === 0) };
}

/** The filter encoding a file name asks for (*.json or *.bin), unless given. */
export function filterFormatOf(path: string, format?: string): 'json' | 'bin' | undefined {
  const f = format ?? (path.endsWith('.json') ? 'json' : path.endsWith('.bin') ? 'bin' : undefined);
  return f === 'json' || f === 'bin' ? f : undefined;
}

export interface LookupResult {
  sha256: string;
  found: boolean;
  /** Oldest first. */
  responses: LedgerEntry[];
}

/** Did we issue a text with this SHA-256 (hex, any case)? To whom, when? */
export async function lookupText(store: LedgerStore, sha256Hex: string): Promise<LookupResult> {
  const sha256 = sha256Hex.toLowerCase();
  const responses = await store.lookupTextSha256(sha256);
  return { sha256, found: responses.length > 0, responses };
}

export interface LedgerInfo extends LedgerCounts {
  specId: string;
  keyFingerprint: string;
}

/** What the ledger is bound to and how much it holds. */
export async function ledgerInfo(store: LedgerStore): Promise<LedgerInfo> {
  const s = await store.stats();
  return { specId: store.binding.specId, keyFingerprint: store.binding.keyFingerprint, ...s };
}

/** The engine scheme a ledger's bound spec names (a version 2 spec), or null for tracemark's own. */
function engineSchemeOf(specJson: string): string | null {
  try {
    const s = JSON.parse(specJson) as { version?: unknown; engine?: { scheme?: unknown } };
    return s.version === 2 ? String(s.engine?.scheme ?? 'engine') : null;
  } catch {
    return null;
  }
}
