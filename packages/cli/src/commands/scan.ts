/**
 * `tracemark scan`: a corpus (files, directories, JSONL, .gz) → per-document results and
 * corpus-wide pooled tests.
 *
 * Without --checkpoint this is the detector's `scanCorpus` (optionally on worker threads).
 * With --checkpoint the scan is resumable (scan-engine.ts): the checkpoint holds the
 * documents done and the pooled state, is saved every --checkpoint-every documents, on
 * --limit and on SIGINT/SIGTERM, and `--resume` continues to the same final numbers a
 * single run gives.
 *
 * The verdict is the pooled test (each distinct (window, token) tuple of the corpus
 * scored once) at --alpha; Fisher's combination of per-document tests is reported too.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DetectorError, scanCorpus, type FisherResult, type PooledResult, type ReaderOptions } from '@tracemark/detector';
import type { Command } from 'commander';
import { alphaFlag, collect, intFlag } from '../io/args.js';
import { CliError, usage } from '@tracemark/detector';
import { exists } from '@tracemark/detector';
import { loadKey, loadSpec, specId } from '@tracemark/detector';
import { printJson, println, progress } from '../io/output.js';
import { sci } from '@tracemark/evidence';
import type { ScanOutput } from '../schemas.js';
import { resumableScan, type DocSummary } from './scan-engine.js';

export interface ScanFlags {
  spec: string;
  key: string;
  format: string;
  textMode: string;
  field: string;
  idField?: string;
  skipMalformed?: boolean;
  exclude?: string[];
  alpha?: string;
  workers: string;
  output?: string;
  checkpoint?: string;
  resume?: boolean;
  checkpointEvery: string;
  limit?: string;
  top: string;
  json?: boolean;
}

const CORPUS_EXT = /\.(txt|text|md|jsonl|ndjson)(\.gz)?$/i;

/** Files as given; directories expanded (recursively, sorted) to their text/JSONL files. */
export function corpusFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw usage(`corpus file not found: ${p}`);
    }
    if (st.isDirectory()) {
      const found = readdirSync(p, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && CORPUS_EXT.test(e.name))
        .map((e) => join(e.parentPath, e.name))
        .sort();
      if (found.length === 0) throw usage(`${p}: no .txt, .md, .jsonl or .ndjson files (optionally .gz) in this directory`);
      out.push(...found);
    } else out.push(p);
  }
  if (out.length === 0) throw usage('no corpus files given');
  return out;
}

function pooledOut(p: PooledResult): ScanOutput['pooled'] {
  return {
    dedup: p.dedup,
    test: p.test,
    scored: p.scored,
    score: p.score,
    expected: p.expected,
    z: p.z,
    lnP: p.lnP,
    log10P: p.log10P,
    pValue: p.pValue,
    ...(p.payload ? { payload: { message: p.payload.message, messageHex: p.payload.messageHex } } : {}),
  };
}

function fisherOut(f: FisherResult): ScanOutput['fisher'] {
  return { documents: f.documents, statistic: f.statistic, lnP: f.lnP, log10P: f.log10P, pValue: f.pValue };
}

function readerOptions(f: ScanFlags): ReaderOptions {
  if (!['auto', 'text', 'jsonl'].includes(f.format)) throw usage(`--format must be auto, text or jsonl (got ${JSON.stringify(f.format)})`);
  if (!['paragraph', 'file'].includes(f.textMode)) throw usage(`--text-mode must be paragraph or file (got ${JSON.stringify(f.textMode)})`);
  return {
    format: f.format as ReaderOptions['format'],
    textMode: f.textMode as ReaderOptions['textMode'],
    field: f.field,
    ...(f.idField !== undefined ? { idField: f.idField } : {}),
    skipMalformed: f.skipMalformed === true,
  };
}

export async function runScan(paths: string[], f: ScanFlags, signal: AbortSignal): Promise<ScanOutput> {
  const alpha = alphaFlag(f.alpha);
  const workers = intFlag('workers', f.workers, 0, 64);
  const top = intFlag('top', f.top, 0, 1000);
  const every = intFlag('checkpoint-every', f.checkpointEvery, 1, 1e9);
  const limit = f.limit !== undefined ? intFlag('limit', f.limit, 1, Number.MAX_SAFE_INTEGER) : Number.POSITIVE_INFINITY;
  const reader = readerOptions(f);
  if (f.checkpoint === undefined && (f.resume || f.limit !== undefined)) throw usage('--resume and --limit need --checkpoint <file>');
  if (f.checkpoint !== undefined && workers > 0) throw usage('--checkpoint scans run in one thread: drop --workers');
  const spec = loadSpec(f.spec);
  const key = loadKey(f.key, spec);
  const files = corpusFiles(paths);
  const id = specId(spec);
  const exclude = f.exclude ?? [];
  const bar = progress('scan');
  const base = { command: 'scan' as const, alpha, specId: id, scheme: spec.scheme.name, keyFingerprint: spec.keyFingerprint, files: files.length };
  try {
    if (f.checkpoint !== undefined) {
      if (f.output !== undefined && !f.resume && exists(f.output)) throw usage(`refusing to overwrite existing file ${f.output}`);
      const r = await resumableScan(spec, key, id, files, {
        reader,
        exclude,
        keepTop: top,
        checkpoint: f.checkpoint,
        checkpointEvery: every,
        limit,
        ...(f.output !== undefined ? { output: f.output } : {}),
        resume: f.resume === true,
        signal,
        onProgress: (d) => bar.update(d),
      });
      const st = r.state;
      const pooled = st.pooled();
      return {
        ...base,
        complete: r.complete,
        checkpoint: f.checkpoint,
        resumedFrom: r.resumedFrom,
        documentsDone: st.docsDone,
        ...st.totals,
        pooled: pooledOut(pooled),
        fisher: fisherOut(st.fisher()),
        verdict: pooled.lnP <= Math.log(alpha) ? 'watermarked' : 'not-detected',
        mostMarked: st.top,
        ...(f.output !== undefined ? { output: f.output } : {}),
      };
    }
    if (f.output !== undefined && exists(f.output)) throw usage(`refusing to overwrite existing file ${f.output}`);
    const topDocs: DocSummary[] = [];
    let n = 0;
    const s = await scanCorpus({ spec, key }, files, {
      ...reader,
      workers,
      exclude,
      ...(f.output !== undefined ? { output: f.output } : {}),
      onDocument: (d) => {
        bar.update(++n);
        if (top === 0) return;
        topDocs.push({
          index: d.index,
          source: d.source,
          line: d.line,
          ...(d.id !== undefined ? { id: d.id } : {}),
          tokens: d.result.tokens,
          scored: d.result.scored,
          lnP: d.result.lnP,
          log10P: d.result.log10P,
          novel: d.novel.scored,
        });
        topDocs.sort((a, b) => a.lnP - b.lnP || a.index - b.index);
        if (topDocs.length > top) topDocs.length = top;
      },
    });
    return {
      ...base,
      complete: true,
      checkpoint: null,
      resumedFrom: 0,
      documentsDone: s.documents + s.emptyDocuments,
      documents: s.documents,
      emptyDocuments: s.emptyDocuments,
      skippedLines: s.skippedLines,
      tokens: s.tokens,
      scored: s.scored,
      tooShortDocuments: s.tooShortDocuments,
      pooled: pooledOut(s.pooled),
      fisher: fisherOut(s.fisher),
      verdict: s.pooled.lnP <= Math.log(alpha) ? 'watermarked' : 'not-detected',
      mostMarked: topDocs,
      ...(f.output !== undefined ? { output: f.output } : {}),
    };
  } catch (e) {
    if (e instanceof DetectorError) throw usage(e.message);
    throw e;
  } finally {
    bar.done();
  }
}

export function registerScan(program: Command): void {
  program
    .command('scan')
    .description('scan a corpus for the watermark: per-document results and an exact pooled test (resumable with --checkpoint)')
    .argument('<paths...>', 'files or directories (.txt/.md: paragraphs; .jsonl: one document per line; .gz allowed)')
    .requiredOption('--spec <file>', 'watermark spec (JSON)')
    .requiredOption('--key <file>', 'watermark key file (must match the spec)')
    .option('--format <f>', 'auto | text | jsonl', 'auto')
    .option('--text-mode <m>', 'text files: paragraph (blank-line separated documents) | file (one document)', 'paragraph')
    .option('--field <name>', 'JSONL field holding the text', 'text')
    .option('--id-field <name>', 'JSONL field holding a document id')
    .option('--skip-malformed', 'skip (and count) malformed JSONL lines instead of stopping')
    .option('--exclude <text>', 'a text given to the generator: its windows are not scored (repeatable)', collect)
    .option('--alpha <α>', 'significance level of the verdict (default 1e-6)')
    .option('--workers <n>', 'worker threads (not with --checkpoint)', '0')
    .option('--output <file>', 'per-document results as JSONL')
    .option('--checkpoint <file>', 'save progress here (documents done + pooled state): the scan becomes resumable')
    .option('--resume', 'continue the scan saved in --checkpoint')
    .option('--checkpoint-every <n>', 'documents between checkpoints', '500')
    .option('--limit <n>', 'score at most n more documents, then save the checkpoint and stop')
    .option('--top <n>', 'most marked documents to list', '10')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Verdict: the pooled test — every distinct (window, token) tuple of the corpus scored once,
one exact p-value — at α (default 1e-6). Fisher's combination of the per-document tests
(each on the tuples it adds) is reported as a second view. A progress line is shown on
stderr only when stderr is a terminal. Exit 0 when the scan completed, 3 when it stopped
early (--limit) with a checkpoint, 130 when interrupted (checkpoint saved).`,
    )
    .action(async (paths: string[], f: ScanFlags) => {
      const ac = new AbortController();
      const onSignal = (): void => ac.abort();
      if (f.checkpoint !== undefined) {
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
        println(`pooled: ${r.verdict === 'watermarked' ? 'WATERMARKED' : 'not detected'}  p = ${sci(r.pooled.log10P)} (log10 p = ${r.pooled.log10P.toFixed(2)}) at α = ${r.alpha}`);
        println(`fisher: p = ${sci(r.fisher.log10P)} over ${r.fisher.documents} documents`);
        for (const d of r.mostMarked.slice(0, 5)) println(`  ${d.source}:${d.line}${d.id !== undefined ? ` (${d.id})` : ''}: p = ${sci(d.log10P)}, ${d.scored} scored`);
        if (!r.complete) println(`checkpoint saved to ${r.checkpoint}; continue with --resume`);
      }
      if (!r.complete) {
        if (ac.signal.aborted) throw new CliError(`interrupted after ${r.documentsDone} documents; checkpoint saved to ${r.checkpoint}: rerun with --resume`, 130);
        process.exitCode = 3;
      }
    });
}
