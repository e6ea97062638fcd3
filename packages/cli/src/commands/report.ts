/**
 * `tracemark report`: detection over probe transcripts → a signed evidence bundle with
 * the spec, the key fingerprint (never the key), the transcripts, every score, decoy-key
 * controls and the report (HTML, Markdown, JSON).
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { alphaFlag, collect, intFlag } from '../io/args.js';
import { exists, loadAnyKey, loadAnySpec } from '@tracemark/detector';
import { createReport, loadSigningKey, NAME_RE, sci, type NamedFile } from '@tracemark/evidence';
import { printJson, println, progress } from '../io/output.js';
import type { ReportOutput } from '../schemas.js';

export interface ReportFlags {
  spec: string;
  key: string;
  signingKey: string;
  transcript?: string[];
  scan?: string[];
  out: string;
  alpha?: string;
  decoys: string;
  decoySeed?: string;
  heatmap: string;
  title?: string;
  json?: boolean;
}

/** "name=path" or "path" (name = file name without .jsonl/.json). */
export function namedPath(arg: string): NamedFile {
  const eq = arg.indexOf('=');
  if (eq > 0 && NAME_RE.test(arg.slice(0, eq)) && !exists(arg)) return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
  const name = basename(arg).replace(/\.(jsonl|ndjson|json)(\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'suspect';
  return { name, path: arg };
}

export async function runReport(f: ReportFlags): Promise<ReportOutput> {
  const alpha = alphaFlag(f.alpha);
  const decoys = intFlag('decoys', f.decoys, 0, 1000);
  const heatmap = intFlag('heatmap', f.heatmap, 0, 100);
  const spec = loadAnySpec(f.spec);
  const bar = progress('report');
  const report = await createReport({
    out: f.out,
    spec,
    key: loadAnyKey(f.key, spec),
    signer: loadSigningKey(f.signingKey),
    transcripts: (f.transcript ?? []).map(namedPath),
    scans: (f.scan ?? []).map(namedPath),
    alpha,
    decoys,
    ...(f.decoySeed !== undefined ? { decoySeed: f.decoySeed } : {}),
    heatmap,
    ...(f.title !== undefined ? { title: f.title } : {}),
    onProgress: (done, total) => bar.update(done, total),
  }).finally(() => bar.done());
  return { command: 'report', ...report };
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('score probe transcripts and write a signed evidence bundle with an HTML/Markdown/JSON report')
    .requiredOption('--spec <file>', 'watermark spec (JSON; tracemark\'s or an engine spec)')
    .requiredOption('--key <file>', 'watermark key file (an engine key file for an engine spec; used for scoring, never written to the bundle)')
    .requiredOption('--signing-key <file>', 'Ed25519 evidence-signing key (tracemark keygen --signing)')
    .requiredOption('--out <dir>', 'bundle directory to create (must not exist)')
    .option('--transcript <[name=]file>', 'a probe transcript, one per suspect (repeatable)', collect)
    .option('--scan <[name=]file>', 'attach corpus-scan results (tracemark scan --json output; repeatable)', collect)
    .option('--alpha <α>', 'significance level of the verdict (default 1e-6)')
    .option('--decoys <k>', 'decoy keys scored on the same evidence as negative controls', '20')
    .option('--decoy-seed <hex>', 'seed of the decoy keys (default: random, recorded in scores.json)')
    .option('--heatmap <n>', 'most-marked responses shown token by token', '6')
    .option('--title <text>', 'report title')
    .option('--json', 'machine-readable output')
    .action(async (f: ReportFlags) => {
      const r = await runReport(f);
      if (f.json) return printJson(r);
      println(`wrote evidence bundle ${r.bundle} (${r.files.length} files + manifest.json, Merkle root ${r.merkleRoot.slice(0, 16)}…)`);
      for (const s of r.suspects) {
        println(`  ${s.name}: ${s.verdict === 'detected' ? 'DETECTED' : 'not detected'}  p = ${sci(s.holmLog10P)} (Holm), ${s.scored} tokens scored over ${s.responses} responses; decoys uniform KS p = ${s.decoyKsPValue === null ? '–' : s.decoyKsPValue.toPrecision(2)}`);
      }
      println(`report: ${r.bundle}/report.html`);
    });
}
