/**
 * `tracemark report`: detection over probe transcripts → a signed evidence bundle with
 * the spec, the key fingerprint (never the key), the transcripts, every score, decoy-key
 * controls and the report (HTML, Markdown, JSON).
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { alphaFlag, collect, intFlag } from '../io/args.js';
import { usage } from '@tracemark/detector';
import { exists, readTextFile } from '@tracemark/detector';
import { loadKey, loadSpec } from '@tracemark/detector';
import { loadSigningKey } from '@tracemark/evidence';
import { printJson, println } from '../io/output.js';
import { readTranscriptBytes } from '@tracemark/investigate';
import { buildBundle, NAME_RE, type ScanAttachment, type TranscriptSource } from '@tracemark/evidence';
import { newDecoySeed } from '@tracemark/evidence';
import { sci } from '@tracemark/evidence';
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
export function namedPath(arg: string): { name: string; path: string } {
  const eq = arg.indexOf('=');
  if (eq > 0 && NAME_RE.test(arg.slice(0, eq)) && !exists(arg)) return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
  const name = basename(arg).replace(/\.(jsonl|ndjson|json)(\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'suspect';
  return { name, path: arg };
}

function scanSummary(json: unknown): string {
  const o = json as { pooled?: { scored?: unknown; log10P?: unknown; pValue?: unknown }; documents?: unknown };
  const p = o?.pooled;
  if (p && typeof p.scored === 'number' && typeof p.log10P === 'number') {
    return `pooled test over ${p.scored} distinct tuples: p = ${sci(p.log10P)}${typeof o.documents === 'number' ? ` (${o.documents} documents)` : ''}`;
  }
  return 'attached (no pooled result recognised)';
}

export async function runReport(f: ReportFlags): Promise<ReportOutput> {
  const alpha = alphaFlag(f.alpha);
  const decoys = intFlag('decoys', f.decoys, 0, 1000);
  const heatmap = intFlag('heatmap', f.heatmap, 0, 100);
  if (f.decoySeed !== undefined && !/^[0-9a-f]{64}$/.test(f.decoySeed)) throw usage('--decoy-seed must be 64 lowercase hex characters');
  const spec = loadSpec(f.spec);
  const key = loadKey(f.key, spec);
  const signer = loadSigningKey(f.signingKey);
  if (!f.transcript || f.transcript.length === 0) throw usage('no transcripts: pass --transcript <file> (one per suspect; name=path to name it)');
  if (exists(f.out)) throw usage(`refusing to overwrite existing bundle directory ${f.out}`);
  const transcripts: TranscriptSource[] = f.transcript.map((arg) => {
    const { name, path } = namedPath(arg);
    return { name, path, bytes: readTranscriptBytes(path) };
  });
  const scans: ScanAttachment[] = (f.scan ?? []).map((arg) => {
    const { name, path } = namedPath(arg);
    const text = readTextFile(path, 'scan results file');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw usage(`${path}: scan results are not valid JSON`);
    }
    return { name, bytes: new TextEncoder().encode(text), summary: scanSummary(json) };
  });
  const built = await buildBundle({
    out: f.out,
    spec,
    key,
    signer,
    transcripts,
    ...(scans.length > 0 ? { scans } : {}),
    alpha,
    decoys,
    decoySeed: f.decoySeed ?? newDecoySeed(),
    heatmap,
    heatmapTokens: 400,
    ...(f.title !== undefined ? { title: f.title } : {}),
  });
  return {
    command: 'report',
    bundle: built.dir,
    files: built.files,
    merkleRoot: built.manifest.merkleRoot,
    signerPublicKey: built.manifest.signature.publicKey,
    alpha,
    suspects: built.summary.suspects.map((s) => ({
      name: s.name,
      responses: s.responses,
      scored: s.scored,
      lnP: s.lnP,
      log10P: s.log10P,
      pValue: s.pValue,
      holmLog10P: s.holmLog10P,
      verdict: s.verdict,
      decoys: s.decoys.count,
      decoyKsPValue: s.decoys.ksPValue,
    })),
  };
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('score probe transcripts and write a signed evidence bundle with an HTML/Markdown/JSON report')
    .requiredOption('--spec <file>', 'watermark spec (JSON)')
    .requiredOption('--key <file>', 'watermark key file (used for scoring; never written to the bundle)')
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
