/**
 * The texts we served, from the provenance ledger: rows the upstream proxy wrote carry the
 * completion's token ids (schema 2, `token_ids`); rows `tracemark serve` wrote for its own
 * models carry only hashes and windows, so their texts must come from elsewhere (--served).
 * A completion alone is teacher-forced from its first token (no prompt tokens are stored):
 * positions with fewer than h completion tokens before them have no window and are skipped.
 */
import { firstLine, specId as specIdOf, usage } from '@tracemark/detector';
import { openLedgerStore, redactLocation, type LedgerStore } from '@tracemark/serve';
import type { WatermarkSpec } from '@tracemark/watermark';
import type { ForcedText } from './teacher-force.js';

export interface LedgerTexts {
  texts: ForcedText[];
  /** Responses in the ledger (of the asked accounts), and those without token ids. */
  responses: number;
  withoutTokens: number;
}

export async function ledgerTexts(location: string, spec: WatermarkSpec, accounts?: readonly string[]): Promise<LedgerTexts> {
  let store: LedgerStore;
  try {
    store = await openLedgerStore(location);
  } catch (e) {
    throw usage(firstLine(e));
  }
  const name = redactLocation(location);
  try {
    if (store.binding.keyFingerprint !== spec.keyFingerprint) throw usage(`${name}: ledger belongs to key ${store.binding.keyFingerprint}, not this spec's key ${spec.keyFingerprint}`);
    if (store.binding.specId !== specIdOf(spec)) throw usage(`${name}: ledger belongs to another spec (${store.binding.specId.slice(0, 12)}…)`);
    const wanted = accounts ? new Set(accounts) : undefined;
    const n = (await store.stats()).responses;
    const out: LedgerTexts = { texts: [], responses: 0, withoutTokens: 0 };
    // seqs are 1, 2, … in commit order; read until every response has been seen
    for (let seq = 1, seen = 0; seen < n && seq <= 2 * n + 16; seq++) {
      const e = await store.entry(seq);
      if (!e) continue;
      seen++;
      if (wanted && !wanted.has(e.account)) continue;
      out.responses++;
      if (e.tokenIds && e.tokenIds.length > 0) out.texts.push({ tokens: e.tokenIds, start: 0 });
      else out.withoutTokens++;
    }
    if (out.texts.length === 0) {
      throw usage(`${name}: no response${wanted ? ' of the asked accounts' : ''} has token ids (only the upstream proxy records them): give the texts we served with --served <file>`);
    }
    return out;
  } finally {
    await store.close();
  }
}
