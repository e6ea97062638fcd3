/**
 * Which accounts leaked or harvested? The inputs of the detector's attribution tests
 * (see @tracemark/detector src/investigate/attribution.ts for why both are valid):
 *  - leaked texts under a payload spec: each text's payload counts, tested against
 *    candidate ids (every digit must be significant), Holm over texts × candidates;
 *  - a clone's transcript + the provider's ledger: the exact test at the windows only
 *    one account ever received, Holm over the candidate accounts.
 */
import { attributeClone, attributeLeaks, countPayload, Scorer, usage, type CloneAttribution, type LeakAttribution, type LeakText } from '@tracemark/detector';
import type { WatermarkKey, WatermarkSpec } from '@tracemark/watermark';
import { redactLocation } from '@tracemark/serve';
import { ledgerAccounts, loadEvidence, specTokenizer } from './inputs.js';

export interface LeakCandidate {
  account: string;
  id: string | number;
}

export interface LeakOptions {
  /** A spec with a payload (account ids embedded in every response). */
  spec: WatermarkSpec;
  key: WatermarkKey;
  texts: readonly { id: string; text: string }[];
  /** Default: all 2^bits ids (Bonferroni). */
  candidates?: readonly LeakCandidate[];
  alpha: number;
}

export interface CloneOptions {
  spec: WatermarkSpec;
  key: WatermarkKey;
  /** The clone's probe transcript (or {id, prompt, text} JSONL). */
  transcript: string;
  /** The provenance ledger (SQLite file or postgres:// URL): every account with traffic and its windows. */
  ledger: string;
  /** Accounts to test (default: every account in the ledger). */
  candidates?: readonly string[];
  alpha: number;
}

/** Detector input errors are the caller's (one-line usage errors). */
function asUsage(e: unknown): never {
  if (e instanceof Error && e.name === 'DetectorError') throw usage(e.message);
  throw e;
}

/** Every account in a ledger that has a payload id, as a leak candidate. */
export async function ledgerCandidates(ledger: string, spec: WatermarkSpec): Promise<LeakCandidate[]> {
  const candidates = (await ledgerAccounts(ledger, spec)).flatMap((a) => (a.id !== undefined ? [{ account: a.account, id: String(a.id) }] : []));
  if (candidates.length === 0) throw usage(`${redactLocation(ledger)}: no account in the ledger has a payload id`);
  return candidates;
}

export function attributeLeakedTexts(o: LeakOptions): LeakAttribution {
  if (!o.spec.payload) throw usage('attribute leaks needs a spec with a payload (account ids embedded in every response)');
  if (o.texts.length === 0) throw usage('no leaked texts: pass --file <text file> and/or --jsonl <file>');
  const tokenizer = specTokenizer(o.spec);
  try {
    const scorer = new Scorer(o.spec, o.key);
    scorer.setSpecialTokens(tokenizer.specialTokenIds);
    const texts: LeakText[] = o.texts.map((t) => {
      const r = scorer.score(tokenizer.encode(t.text).tokens, { payload: true });
      return { id: t.id, counts: countPayload(scorer.wm, r.payloadPos!, r.payloadColour!) };
    });
    return attributeLeaks(scorer.wm, texts, { ...(o.candidates ? { candidates: [...o.candidates] } : {}), alpha: o.alpha });
  } catch (e) {
    return asUsage(e);
  } finally {
    tokenizer.dispose();
  }
}

export async function attributeCloneAccounts(o: CloneOptions): Promise<CloneAttribution> {
  const accounts = await ledgerAccounts(o.ledger, o.spec);
  if (accounts.length < 2) throw usage(`${redactLocation(o.ledger)}: attribution needs at least two accounts with traffic (found ${accounts.length})`);
  const tokenizer = specTokenizer(o.spec);
  try {
    const ev = loadEvidence(o.transcript, tokenizer);
    return attributeClone({
      spec: o.spec,
      key: o.key,
      items: ev.items,
      accounts,
      ...(o.candidates !== undefined ? { candidates: [...o.candidates] } : {}),
      alpha: o.alpha,
      specialTokens: tokenizer.specialTokenIds,
    });
  } catch (e) {
    return asUsage(e);
  } finally {
    tokenizer.dispose();
  }
}
