/**
 * `tracemark scan`: a corpus (files, directories, JSONL, .gz) → per-document results and
 * corpus-wide pooled tests: the detector's `scanCorpus` (on worker threads with
 * --workers). With --checkpoint the scan is resumable: the checkpoint holds the
 * documents done and the pooled state, is saved every --checkpoint-every documents, on
 * --limit and on SIGINT/SIGTERM, and `--resume` continues to the same final numbers a
 * single run gives.
 *
 * The verdict is the pooled test (each distinct (window, token) tuple of the corpus
 * scored once) at --alpha; Fisher's combination of per-document tests is reported too.
 */
import {
  corpusFiles,
  DetectorError,
  scanCorpus,
  type FisherResult,
  type PooledResult,
  type ReaderOptions,
  CliError,
  exists,
  loadAnyKey,
  loadAnySpec,
  specId,
  usage,
} from '@tracemark/detector';
import type { Command } from 'commander';
import { alphaFlag, collect, intFlag } from '../io/args.js';
import { sizeFlag } from '../io/size.js';
import { printJson, println, progress, setExitCode, warn } from '../io/output.js';
import { sci } from '@tracemark/evidence';
import type { ScanOutput } from '../schemas.js';
import { addQueueScanOptions, queueRequested, scanOnQueue, type QueueScanFlags } from './scan-queue.js';

export interface ScanFlags extends QueueScanFlags {
  spec: string;
  key: string;
  format: string;
  textMode: string;
  field: string;
  idField?: string;
  /** Documents are JSONL token ids ("ids", optional "prompt_ids"). */
  ids?: boolean;
  skipMalformed?: boolean;
  exclude?: string[];
  alpha?: string;
  workers: string;
  /** Memory budget (--memory 512MiB): in memory when the corpus certainly fits, else out of core. */
  memory?: string;
  /** Run out of core in this directory (kept: rerunning resumes). */
  spillDir?: string;
  output?: string;
  checkpoint?: string;
  resume?: boolean;
  checkpointEvery: string;
  limit?: string;
  top: string;
  json?: boolean;
}

function pooledOut(p: PooledResult): ScanOutput['pooled'] {
  const { dedup, test, scored, score, expected, z, lnP, log10P, pValue, payload } = p;
  return { dedup, test, scored, score, expected, z, lnP, log10P, pValue, ...(payload ? { payload: { message: payload.message, messageHex: payload.messageHex } } : {}) };
}

function fisherOut(f: FisherResult): ScanOutput['fisher'] {
  return { documents: f.documents, statistic: f.statistic, lnP: f.lnP, log10P: f.log10P, pValue: f.pValue };
}

function readerOptions(f: ScanFlags): ReaderOptions {
  if (!['auto', 'text', 'jsonl'].includes(f.format)) throw usage(`--format must be auto, text or jsonl (got ${JSON.stringify(f.format)})`);
  if (!['paragraph', 'file'].includes(f.textMode)) throw usage(`--text-mode must be paragraph or file (got ${JSON.stringify(f.textMode)})`);
  const idField = f.idField !== undefined ? { idField: f.idField } : {};
  if (f.ids) {
    if (f.format === 'text') throw usage('--ids reads JSONL: it cannot be combined with --format text');
    if (f.skipMalformed) throw usage('--ids: a bad line of token ids is an error, never skipped (drop --skip-malformed)');
    return { format: 'jsonl', ...idField, ids: { field: 'ids', promptField: 'prompt_ids' } };
  }
  return { format: f.format as ReaderOptions['format'], textMode: f.textMode as ReaderOptions['textMode'], field: f.field, ...idField, skipMalformed: f.skipMalformed === true };
}

const cliError = (e: unknown): unknown => (e instanceof DetectorError ? usage(e.message) : e);

export async function runScan(paths: string[], f: ScanFlags, signal: AbortSignal): Promise<ScanOutput> {
  const alpha = alphaFlag(f.alpha);
  const workers = intFlag('workers', f.workers, 0, 64);
  const top = intFlag('top', f.top, 0, 1000);
  const every = intFlag('checkpoint-every', f.checkpointEvery, 1, 1e9);
  const limit = f.limit !== undefined ? intFlag('limit', f.limit, 1, Number.MAX_SAFE_INTEGER) : undefined;
  const reader = readerOptions(f);
  const ck = f.checkpoint;
  if (ck === undefined && (f.resume || limit !== undefined)) throw usage('--resume and --limit need --checkpoint <file>');
  const onQueue = queueRequested(f);
  const memoryBytes = f.memory !== undefined ? sizeFlag('memory', f.memory) : undefined;
  if (f.spillDir !== undefined && (ck !== undefined || onQueue)) throw usage(`--spill-dir runs the scan out of core here, resumable from that directory: it cannot be combined with ${ck !== undefined ? '--checkpoint' : '--queue (use --shared-dir)'}`);
  const spec = loadAnySpec(f.spec);
  const key = loadAnyKey(f.key, spec);
  let files: string[];
  try {
    files = corpusFiles(paths);
  } catch (e) {
    throw cliError(e);
  }
  const bar = progress('scan');
  try {
    if (f.output !== undefined && !(ck !== undefined && f.resume) && exists(f.output)) throw usage(`refusing to overwrite existing file ${f.output}`);
    const s = onQueue ? await scanOnQueue(f, { spec, key, keyPath: f.key, files, reader, exclude: f.exclude ?? [], top, ...(f.output !== undefined ? { output: f.output } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) }, bar, signal) : await scanCorpus({ spec, key }, files, {
      ...reader,
      workers,
      ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      ...(f.spillDir !== undefined ? { spillDir: f.spillDir } : {}),
      exclude: f.exclude ?? [],
      keepTop: top,
      ...(f.output !== undefined ? { output: f.output } : {}),
      ...(ck !== undefined ? { checkpoint: ck, checkpointEvery: every, resume: f.resume === true, signal } : {}),
      ...(limit !== undefined ? { limit } : {}),
      onDocument: (d) => bar.update(d.index + 1),
    });
    const p = s.progress ?? { complete: true, resumedFrom: 0, documentsDone: s.documents + s.emptyDocuments };
    if (s.documents === 0) warn(`no documents to score in ${files.length} file(s)${s.emptyDocuments > 0 ? ` (${s.emptyDocuments} empty)` : ''}: the pooled test had nothing to test`);
    return {
      command: 'scan',
      alpha,
      specId: specId(spec),
      scheme: s.scheme,
      keyFingerprint: spec.keyFingerprint,
      files: files.length,
      complete: p.complete,
      checkpoint: ck ?? null,
      resumedFrom: p.resumedFrom,
      documentsDone: p.documentsDone,
      documents: s.documents,
      emptyDocuments: s.emptyDocuments,
      skippedLines: s.skippedLines,
      tokens: s.tokens,
      scored: s.scored,
      tooShortDocuments: s.tooShortDocuments,
      pooled: pooledOut(s.pooled),
      fisher: fisherOut(s.fisher),
      verdict: s.pooled.lnP <= Math.log(alpha) ? 'detected' : 'not-detected',
      mostMarked: s.mostMarked ?? [],
      ...(f.output !== undefined ? { output: f.output } : {}),
    };
  } catch (e) {
    throw cliError(e);
  } finally {
    bar.done();
  }
}

export function registerScan(program: Command): void {
  const cmd = program
    .command('scan')
    .description('scan a corpus for the watermark: per-document results and an exact pooled test (resumable with --checkpoint)')
    .argument('<paths...>', 'files or directories (.txt/.md: paragraphs; .jsonl: one document per line; .gz allowed)')
    .requiredOption('--spec <file>', 'watermark spec (JSON)')
    .requiredOption('--key <file>', 'watermark key file (must match the spec)')
    .option('--format <f>', 'auto | text | jsonl', 'auto')
    .option('--text-mode <m>', 'text files: paragraph (blank-line separated documents) | file (one document)', 'paragraph')
    .option('--field <name>', 'JSONL field holding the text', 'text')
    .option('--ids', 'documents are JSONL token ids: "ids" (non-negative integers below the vocabulary size) and optionally "prompt_ids" (windows not scored); a bad line stops the scan (exit 2, nothing written)')
    .option('--id-field <name>', 'JSONL field holding a document id')
    .option('--skip-malformed', 'skip (and count) malformed JSONL lines instead of stopping')
    .option('--exclude <text>', 'a text given to the generator: its windows are not scored (repeatable)', collect)
    .option('--alpha <α>', 'significance level of the verdict (default 1e-6)')
    .option('--workers <n>', 'worker threads', '0')
    .option('--memory <size>', 'memory budget, e.g. 512MiB: the scan stays in memory when the corpus certainly fits, otherwise it runs out of core (pieces on disk); exact either way (docs/SCALE.md)')
    .option('--spill-dir <dir>', 'run out of core in this directory (kept; rerunning the same scan there resumes it)')
    .option('--output <file>', 'per-document results as JSONL')
    .option('--checkpoint <file>', 'save progress here (documents done + pooled state): the scan becomes resumable')
    .option('--resume', 'continue the scan saved in --checkpoint')
    .option('--checkpoint-every <n>', 'documents between checkpoints', '500')
    .option('--limit <n>', 'score at most n more documents, then save the checkpoint and stop')
    .option('--top <n>', 'most marked documents to list', '10')
    .option('--json', 'machine-readable output');
  addQueueScanOptions(cmd)
    .addHelpText(
      'after',
      `
Verdict: the pooled test — every distinct (window, token) tuple of the corpus scored once,
one exact p-value — at α (default 1e-6). Fisher's combination of the per-document tests
(each on the tuples it adds) is reported as a second view. A progress line is shown on
stderr only when stderr is a terminal. Exit 0 when the scan completed, 3 when it stopped
early (--limit) with a checkpoint, 130 when interrupted (checkpoint saved).
With --queue the scan runs as map and reduce jobs of \`tracemark worker\` processes on any
machines (docs/SCALE.md, "Across machines"); the summary is the same.`,
    )
    .action(async (paths: string[], f: ScanFlags) => {
      const ac = new AbortController();
      const onSignal = (): void => ac.abort();
      if (f.checkpoint !== undefined || f.queue !== undefined) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      let r: ScanOutput;
      try {
        r = await runScan(paths, f, ac.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (f.json) printJson(r);
      else {
        println(`${r.complete ? 'scanned' : 'partially scanned'} ${r.documents} documents (${r.emptyDocuments} empty) in ${r.files} file(s): ${r.tokens} tokens, ${r.pooled.scored} distinct tuples scored`);
        println(`pooled: ${r.verdict === 'detected' ? 'WATERMARKED' : 'not detected'}  p = ${sci(r.pooled.log10P)} (log10 p = ${r.pooled.log10P.toFixed(2)}) at α = ${r.alpha}`);
        println(`fisher: p = ${sci(r.fisher.log10P)} over ${r.fisher.documents} documents`);
        for (const d of r.mostMarked) println(`  ${d.source}:${d.line}${d.id !== undefined ? ` (${d.id})` : ''}: p = ${sci(d.log10P)}, ${d.scored} scored`);
        if (!r.complete) println(`checkpoint saved to ${r.checkpoint}; continue with --resume`);
      }
      if (!r.complete) {
        if (ac.signal.aborted) throw new CliError(`interrupted after ${r.documentsDone} documents; checkpoint saved to ${r.checkpoint}: rerun with --resume`, 130);
        setExitCode(3);
      }
    });
}
