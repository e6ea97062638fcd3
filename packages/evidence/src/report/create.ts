/**
 * `createReport`: from files on disk (probe transcripts, optional corpus-scan results)
 * plus spec, key and signing key, a signed evidence bundle and the one-line-per-suspect
 * summary that `tracemark report` prints.
 */
import type { AnySpec, EngineKey, WatermarkKey } from '@tracemark/watermark';
import { exists, readTextFile, usage } from '@tracemark/detector';
import { readTranscriptBytes } from '@tracemark/investigate';
import type { SigningKey } from '../bundle/index.js';
import { buildBundle, type ScanAttachment, type TranscriptSource } from './bundle.js';
import { newDecoySeed } from './evidence.js';
import { sci } from './words.js';

/** A file attached under a name (the suspect's name, or the scan's). */
export interface NamedFile {
  name: string;
  path: string;
}

export interface CreateReportOptions {
  /** Bundle directory to create (must not exist). */
  out: string;
  /** Tracemark's spec, or an engine spec (version 2). */
  spec: AnySpec;
  /** Used for scoring; never written to the bundle (an engine key for an engine spec). */
  key: WatermarkKey | EngineKey;
  signer: SigningKey;
  /** One probe transcript per suspect. */
  transcripts: NamedFile[];
  /** Corpus-scan results (`tracemark scan --json` output), recorded, not re-run. */
  scans?: NamedFile[];
  alpha: number;
  /** Decoy keys scored on the same evidence as negative controls. */
  decoys: number;
  /** 64 lowercase hex characters; default random (recorded in scores.json). */
  decoySeed?: string;
  /** Most-marked responses shown token by token. */
  heatmap: number;
  title?: string;
  /** Called as the suspects' responses are scored: (0, total) … (total, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface ReportSuspectLine {
  name: string;
  responses: number;
  scored: number;
  lnP: number;
  log10P: number;
  pValue: string;
  holmLog10P: number;
  verdict: 'detected' | 'not-detected';
  decoys: number;
  decoyKsPValue: number | null;
}

export interface CreatedReport {
  bundle: string;
  files: string[];
  merkleRoot: string;
  signerPublicKey: string;
  alpha: number;
  suspects: ReportSuspectLine[];
}

/** One line describing attached scan results (the pooled test when it is recognised). */
export function scanSummary(json: unknown): string {
  const o = json as { pooled?: { scored?: unknown; log10P?: unknown; pValue?: unknown }; documents?: unknown };
  const p = o?.pooled;
  if (p && typeof p.scored === 'number' && typeof p.log10P === 'number') {
    return `pooled test over ${p.scored} distinct tuples: p = ${sci(p.log10P)}${typeof o.documents === 'number' ? ` (${o.documents} documents)` : ''}`;
  }
  return 'attached (no pooled result recognised)';
}

/** Read a scan-results file to attach (its bytes, verbatim, and a summary line). */
export function readScanAttachment({ name, path }: NamedFile): ScanAttachment {
  const text = readTextFile(path, 'scan results file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw usage(`${path}: scan results are not valid JSON`);
  }
  return { name, bytes: new TextEncoder().encode(text), summary: scanSummary(json) };
}

export async function createReport(o: CreateReportOptions): Promise<CreatedReport> {
  if (o.decoySeed !== undefined && !/^[0-9a-f]{64}$/.test(o.decoySeed)) throw usage('--decoy-seed must be 64 lowercase hex characters');
  if (o.transcripts.length === 0) throw usage('no transcripts: pass --transcript <file> (one per suspect; name=path to name it)');
  if (exists(o.out)) throw usage(`refusing to overwrite existing bundle directory ${o.out}`);
  const transcripts: TranscriptSource[] = o.transcripts.map(({ name, path }) => ({ name, path, bytes: readTranscriptBytes(path) }));
  const scans = (o.scans ?? []).map(readScanAttachment);
  const built = await buildBundle({
    out: o.out,
    spec: o.spec,
    key: o.key,
    signer: o.signer,
    transcripts,
    ...(scans.length > 0 ? { scans } : {}),
    alpha: o.alpha,
    decoys: o.decoys,
    decoySeed: o.decoySeed ?? newDecoySeed(),
    heatmap: o.heatmap,
    heatmapTokens: 400,
    ...(o.title !== undefined ? { title: o.title } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return {
    bundle: built.dir,
    files: built.files,
    merkleRoot: built.manifest.merkleRoot,
    signerPublicKey: built.manifest.signature.publicKey,
    alpha: o.alpha,
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
