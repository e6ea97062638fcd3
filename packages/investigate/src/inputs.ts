/**
 * Inputs of the investigation commands (radioactivity, plan, attribute, probe
 * --until-evidence): transcripts → token evidence, ledger filter files, per-account
 * windows from a provenance ledger, prompt families, and the built-in unsupervised
 * filter (windows of fresh watermarked generations of the provider's own model).
 * The statistics live in @tracemark/detector (src/investigate); this is the I/O.
 */
import { Watermark, type AnySpec, type WatermarkKey, type WatermarkSpec } from '@tracemark/watermark';
import {
  createTokenizer,
  familyIndex,
  isHfTokenizerId,
  isTiktokenEncoding,
  type TextTokenizer,
  WindowHashSet,
  type AccountWindows,
  type EvidenceItem,
  type WindowSet,
  firstLine,
  usage,
  readJsonlTexts,
  specId as specIdOf,
} from '@tracemark/detector';
import {
  loadFilter,
  type WindowFilter,
  openLedgerStore,
  redactLocation,
  type AccountWindowsRow,
  type LedgerBinding,
  type LedgerStore,
} from '@tracemark/serve';
import { evidenceRecords, readTranscriptBytes, type EvidenceRecord } from './probe/transcript.js';
import { freshAnswers } from './fresh-answers.js';

/** The spec's tokenizer (transcripts hold text): a tiktoken encoding, or hf:<directory> (engine specs on open models). */
export function specTokenizer(spec: AnySpec): TextTokenizer {
  if (!isTiktokenEncoding(spec.tokenizer) && !isHfTokenizerId(spec.tokenizer)) {
    throw usage(`the spec's tokenizer ${spec.tokenizer} is neither a tiktoken encoding nor hf:<directory>: transcripts of text cannot be tokenized here`);
  }
  try {
    return createTokenizer(spec.tokenizer);
  } catch (e) {
    throw usage(`the spec's tokenizer: ${firstLine(e)}`);
  }
}

export interface Evidence {
  path: string;
  records: EvidenceRecord[];
  items: EvidenceItem[];
}

/** A transcript (probe JSONL, or {id, prompt, text} records) as token evidence, in file order. */
export function loadEvidence(path: string, tokenizer: TextTokenizer, families?: ReadonlyMap<string, number>): Evidence {
  const records = evidenceRecords(readTranscriptBytes(path), path);
  if (records.length === 0) throw usage(`${path}: the transcript has no responses`);
  const items = records.map((r) => recordItem(r, tokenizer, families));
  return { path, records, items };
}

export function recordItem(r: Pick<EvidenceRecord, 'promptId' | 'given' | 'response'>, tokenizer: TextTokenizer, families?: ReadonlyMap<string, number>): EvidenceItem {
  const item: EvidenceItem = {
    id: r.promptId,
    tokens: tokenizer.encode(r.response).tokens,
    given: r.given.map((g) => tokenizer.encode(g).tokens),
  };
  if (families) {
    const f = families.get(r.promptId);
    if (f === undefined) throw usage(`prompt ${JSON.stringify(r.promptId)} has no family in the family map`);
    item.family = f;
  }
  return item;
}

/**
 * Families from a JSONL file of {"id", "family"} (e.g. the prompt set with a family
 * field): prompt id → dense family index, and the labels.
 */
export function loadFamilyMap(path: string, field = 'family'): { map: Map<string, number>; labels: string[] } {
  const rows = readJsonlTexts(path, field, 'family map');
  const ids: string[] = [];
  const labels: string[] = [];
  for (const r of rows) {
    if (r.id === undefined) throw usage(`${path}:${r.line}: missing "id"`);
    ids.push(r.id);
    labels.push(r.text);
  }
  const { index, labels: names } = familyIndex(labels);
  if (names.length < 2) throw usage(`${path}: needs at least two families (found ${names.length})`);
  return { map: new Map(ids.map((id, i) => [id, index[i]!])), labels: names };
}

/** A ledger filter file, checked against the spec (same spec id and key fingerprint). */
export function loadSpecFilter(path: string, spec: AnySpec): WindowFilter {
  let f: WindowFilter;
  try {
    f = loadFilter(path);
  } catch (e) {
    throw usage(firstLine(e));
  }
  if (f.keyFingerprint !== spec.keyFingerprint) {
    throw usage(`${path}: filter made for key ${f.keyFingerprint}, not this spec's key ${spec.keyFingerprint}`);
  }
  const id = specIdOf(spec);
  if (f.specId !== id) throw usage(`${path}: filter made for spec ${f.specId.slice(0, 12)}…, not this spec (${id.slice(0, 12)}…)`);
  return f;
}

/** The union of several filters (same spec). */
export function unionFilter(filters: readonly WindowFilter[]): WindowSet {
  if (filters.length === 1) return filters[0]!;
  const u = new WindowHashSet();
  for (const f of filters) u.addU64(f.windows);
  return u;
}

/**
 * Per-account windows from a provenance ledger (a SQLite file or a postgres:// URL, bound
 * to this spec): every account that received a response, its payload id (if any), and
 * the union of its responses' windows.
 */
export async function ledgerAccounts(location: string, spec: WatermarkSpec): Promise<AccountWindows[]> {
  let ledger: LedgerStore;
  try {
    ledger = await openLedgerStore(location);
  } catch (e) {
    throw usage(firstLine(e));
  }
  try {
    return await storeAccounts(ledger, spec, redactLocation(location));
  } finally {
    await ledger.close();
  }
}

/** The same from any ledger store (e.g. one with asynchronous I/O); `name` labels messages. */
export async function storeAccounts(store: LedgerStore, spec: WatermarkSpec, name: string): Promise<AccountWindows[]> {
  checkBinding(store.binding, spec, name);
  let rows: AccountWindowsRow[];
  try {
    rows = await store.accountWindows();
  } catch (e) {
    throw usage(`${name}: cannot read the ledger's responses: ${firstLine(e)}`);
  }
  return rows.map(toAccountWindows);
}

function checkBinding(binding: LedgerBinding, spec: WatermarkSpec, name: string): void {
  if (binding.keyFingerprint !== spec.keyFingerprint) throw usage(`${name}: ledger belongs to key ${binding.keyFingerprint}, not this spec's key ${spec.keyFingerprint}`);
  if (binding.specId !== specIdOf(spec)) throw usage(`${name}: ledger belongs to another spec (${binding.specId.slice(0, 12)}…)`);
}

function toAccountWindows(a: AccountWindowsRow): AccountWindows {
  return { account: a.account, ...(a.accountId !== null ? { id: a.accountId } : {}), windows: a.windows };
}

export interface UnsupervisedFilterOptions {
  spec: WatermarkSpec;
  key: WatermarkKey;
  /** The prompts the suspect was asked (the windows of the provider's answers to them). */
  prompts: readonly string[];
  /** 'builtin' (the reference model) or an ONNX model directory: the provider's own model. */
  model: string;
  responsesPerPrompt: number;
  maxTokens: number;
  temperature: number;
  seed: number;
}

/**
 * The built-in unsupervised filter: generate fresh watermarked responses of the
 * provider's own model to the investigator's prompts and keep every window of every
 * generated position — the windows the provider's model tends to emit after these
 * prompts, hence the windows a student of it has most likely learned. Selection is by
 * window only (never by token), so the filtered test stays exact under H0.
 */
export async function unsupervisedFilter(o: UnsupervisedFilterOptions): Promise<{ filter: WindowHashSet; responses: number; tokens: number }> {
  const answers = await freshAnswers(o.spec, o.key, o.prompts, { ...o, label: 'tracemark/unsupervised-filter', what: "the provider's model for the unsupervised filter" });
  const wm = new Watermark(o.spec, o.key);
  const filter = new WindowHashSet();
  const w = { hi: 0, lo: 0 };
  let tokens = 0;
  for (const a of answers) {
    // the window of every generated position (its context may reach into the prompt)
    for (let i = a.start; i < a.tokens.length; i++) if (wm.windowSeed(a.tokens, i, w)) filter.add(w.hi >>> 0, w.lo >>> 0);
    tokens += a.tokens.length - a.start;
  }
  return { filter, responses: answers.length, tokens };
}

/** "a,b,c" → trimmed non-empty names. */
export function listFlag(name: string, v: string): string[] {
  const out = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (out.length === 0) throw usage(`--${name} needs at least one value`);
  return out;
}
