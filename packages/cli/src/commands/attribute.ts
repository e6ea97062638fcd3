/**
 * `tracemark attribute`: which accounts leaked or harvested?
 *
 *   attribute leaks  leaked texts (payload spec: each response carries its account id):
 *                    per text the intersection–union test of each candidate id (every
 *                    digit must be significant), Holm-adjusted over texts × candidates;
 *   attribute clone  a clone's probe transcript + the provider's ledger: per account, the
 *                    exact test at the windows only that account ever received, Holm-
 *                    adjusted over the candidate accounts.
 * See @tracemark/detector src/investigate/attribution.ts for why both are valid.
 */
import type { Command } from 'commander';
import type { CloneAttribution, LeakAttribution } from '@tracemark/detector';
import { alphaFlag, collect } from '../io/args.js';
import { loadKey, loadSpec, readJsonlTexts, readTextFile, usage } from '@tracemark/detector';
import { fmtLog10, printJson, println } from '../io/output.js';
import { attributeCloneAccounts, attributeLeakedTexts, ledgerCandidates, listFlag, type LeakCandidate } from '@tracemark/investigate';
import { redactLocation } from '@tracemark/serve';

export interface LeaksFlags {
  spec: string;
  key: string;
  file?: string[];
  jsonl?: string[];
  field: string;
  idField: string;
  ledger?: string;
  candidates?: string;
  alpha?: string;
  json?: boolean;
}

export interface CloneFlags {
  spec: string;
  key: string;
  transcript: string;
  ledger: string;
  candidates?: string;
  alpha?: string;
  json?: boolean;
}

export type LeaksOutput = { command: 'attribute leaks' } & LeakAttribution;
export type CloneOutput = { command: 'attribute clone'; transcript: string; ledger: string } & CloneAttribution;

/** "acct=17,acct2=23" → candidates. */
function parseCandidates(v: string): LeakCandidate[] {
  return listFlag('candidates', v).map((s) => {
    const eq = s.lastIndexOf('=');
    const account = eq > 0 ? s.slice(0, eq) : s;
    const id = eq > 0 ? s.slice(eq + 1) : s;
    if (!/^\d+$/.test(id)) throw usage(`--candidates: ${JSON.stringify(s)} is not account=id (a non-negative integer id)`);
    return { account, id };
  });
}

export async function runLeaks(f: LeaksFlags): Promise<LeaksOutput> {
  const alpha = alphaFlag(f.alpha);
  const spec = loadSpec(f.spec);
  if (!spec.payload) throw usage('attribute leaks needs a spec with a payload (account ids embedded in every response)');
  const key = loadKey(f.key, spec);
  if (f.ledger !== undefined && f.candidates !== undefined) throw usage('give --ledger or --candidates, not both');
  const texts: { id: string; text: string }[] = [];
  for (const p of f.file ?? []) texts.push({ id: p, text: readTextFile(p, 'leaked text') });
  for (const p of f.jsonl ?? []) for (const r of readJsonlTexts(p, f.field, 'leaked texts')) texts.push({ id: String(r.record[f.idField] ?? `${p}:${r.line}`), text: r.text });
  if (texts.length === 0) throw usage('no leaked texts: pass --file <text file> and/or --jsonl <file>');
  const candidates = f.candidates !== undefined ? parseCandidates(f.candidates) : f.ledger !== undefined ? await ledgerCandidates(f.ledger, spec) : undefined;
  return { command: 'attribute leaks', ...attributeLeakedTexts({ spec, key, texts, ...(candidates ? { candidates } : {}), alpha }) };
}

export async function runClone(f: CloneFlags): Promise<CloneOutput> {
  const alpha = alphaFlag(f.alpha);
  const spec = loadSpec(f.spec);
  const key = loadKey(f.key, spec);
  const r = await attributeCloneAccounts({
    spec,
    key,
    transcript: f.transcript,
    ledger: f.ledger,
    ...(f.candidates !== undefined ? { candidates: listFlag('candidates', f.candidates) } : {}),
    alpha,
  });
  return { command: 'attribute clone', transcript: f.transcript, ledger: redactLocation(f.ledger), ...r };
}

function printLeaks(r: LeaksOutput): void {
  println(`${r.texts.length} leaked texts; ${r.hypotheses.toLocaleString('en-US')} (text, id) hypotheses, ${r.method}-adjusted; α = ${r.alpha}`);
  for (const t of r.texts) {
    const b = t.best;
    const who = b ? `${b.account ?? `id ${b.id}`}${b.account ? ` (id ${b.id})` : ''}` : '—';
    println(`  ${t.id}: ${t.scored} tuples; carries some id p = ${fmtLog10(t.anyIdLog10P)}; best ${who} adjusted p = ${b ? fmtLog10(b.log10PAdjusted) : '—'}${t.named ? '  → NAMED' : ''}`);
  }
  println(r.named.length ? `named: ${r.named.map((x) => `${x.account ?? `id ${x.id}`} (${x.texts.length} text${x.texts.length > 1 ? 's' : ''})`).join(', ')}` : 'named: none');
  const unnamed = r.texts.filter((t) => !t.named && t.weakest);
  if (unnamed.length > 0) {
    println('  an id is named only when every digit of it stands out after the adjustment; the weakest digit decides:');
    for (const t of unnamed) println(`  ${t.id}: ${whyNotNamed(t.weakest!)}`);
  }
}

/** One line on the digit that keeps a text's best id from being named, and what would. */
export function whyNotNamed(w: NonNullable<LeakAttribution['texts'][number]['weakest']>): string {
  const digit = `digit ${w.position}: ${w.agreeing} of ${w.tuples} tuples agree (p = ${fmtLog10(w.lnP / Math.LN10)} before adjustment)`;
  if (w.moreTuples === null) return `${digit}; it agrees no more often than chance, so more text like this will not name anyone`;
  return `${digit}; at these rates about ${w.moreTuples.toLocaleString('en-US')} more scored tuples would name it`;
}

function printClone(r: CloneOutput): void {
  println(`${r.transcript}: ${r.exclusivePositions} distinct tuples at windows exclusive to one of ${r.accountsInUniverse} accounts; ${r.candidates} candidates, Holm-adjusted; α = ${r.alpha}`);
  const shown = [...r.accounts].sort((a, b) => a.lnPAdjusted - b.lnPAdjusted).slice(0, 20);
  for (const a of shown) println(`  ${a.account}: ${a.exclusiveWindows} exclusive windows, ${a.scored} tuples, score ${a.score} (expected ${a.expected.toFixed(1)}), adjusted p = ${fmtLog10(a.log10PAdjusted)}${a.named ? '  → NAMED' : ''}`);
  if (r.accounts.length > shown.length) println(`  … ${r.accounts.length - shown.length} more (--json for all)`);
  println(r.named.length ? `named: ${r.named.join(', ')}` : 'named: none');
}

export function registerAttribute(program: Command): void {
  const cmd = program.command('attribute').description('name the accounts behind leaked texts (payload ids) or a clone (ledger windows), with family-wise error control');
  cmd
    .command('leaks')
    .description('leaked texts → account ids: every digit must be significant; Holm over texts × candidate ids')
    .requiredOption('--spec <file>', 'watermark spec with a payload')
    .requiredOption('--key <file>', 'watermark key file')
    .option('--file <path>', 'a leaked text (whole file; repeatable)', collect)
    .option('--jsonl <path>', 'leaked texts, one JSON object per line (repeatable)', collect)
    .option('--field <name>', 'JSONL field holding the text', 'text')
    .option('--id-field <name>', 'JSONL field naming the text', 'id')
    .option('--ledger <file>', 'candidates: every account in this provenance ledger (SQLite file or postgres:// URL) with a payload id')
    .option('--candidates <list>', 'candidates: account=id,… (default without --ledger: all 2^bits ids, Bonferroni)')
    .option('--alpha <a>', 'family-wise error rate', '1e-6')
    .option('--json', 'machine-readable output')
    .action(async (f: LeaksFlags) => {
      const r = await runLeaks(f);
      if (f.json) printJson(r);
      else printLeaks(r);
    });
  cmd
    .command('clone')
    .description("a clone's probe transcript + the ledger → accounts whose exclusive windows carry the watermark (Holm)")
    .requiredOption('--spec <file>', 'watermark spec')
    .requiredOption('--key <file>', 'watermark key file')
    .requiredOption('--transcript <file>', "the clone's probe transcript (or {id, prompt, text} JSONL)")
    .requiredOption('--ledger <file>', 'the provenance ledger, a SQLite file or postgres:// URL (every account with traffic; windows per account)')
    .option('--candidates <list>', 'accounts to test (default: every account in the ledger)')
    .option('--alpha <a>', 'family-wise error rate', '1e-6')
    .option('--json', 'machine-readable output')
    .action(async (f: CloneFlags) => {
      const r = await runClone(f);
      if (f.json) printJson(r);
      else printClone(r);
    });
}
