/**
 * Evidence bundles for an investigation: build one from transcripts (+ spec, key,
 * signing key), and reproduce its numbers from the bundle alone (+ the key).
 *
 * Layout:
 *   spec.json              the watermark spec (key fingerprint only)
 *   key-fingerprint.txt    the key's public fingerprint
 *   transcripts/<name>.jsonl   each suspect's probe transcript, byte for byte
 *   scans/<name>.json      attached corpus-scan results (optional; recorded, not re-run)
 *   scores.json            every number (see evidence.ts) and the options that produced them
 *   report.html / report.md / report.json
 *   manifest.json          SHA-256 of every file, Merkle root, Ed25519 signature (bundle module)
 * The watermark key is never written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertKeyMatches, canonicalJson, isEngineSpec, parseAnySpecJson, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { z } from 'zod';
import { verifyBundle, writeBundle, type Manifest, type SigningKey } from '../bundle/index.js';
import { failure, usage, jsonReplacer, sha256Hex, specId as specIdOf } from '@tracemark/detector';
import { evidenceRecords } from '@tracemark/investigate';
import { scoreEvidence, type EvidenceOptions, type Scores, type SuspectInput } from './evidence.js';
import { renderHtml, type ReportMeta } from './html.js';
import { renderMarkdown, reportSummary, type ReportSummary } from './markdown.js';
import { engineSchemeSummary } from './engine.js';

export interface TranscriptSource {
  name: string;
  path: string;
  bytes: Uint8Array;
}

export interface ScanAttachment {
  name: string;
  bytes: Uint8Array;
  summary: string;
}

export interface BuildBundleOptions extends EvidenceOptions {
  out: string;
  /** Tracemark's spec and key, or an engine spec (version 2) and the engine's key. */
  spec: AnySpec;
  key: WatermarkKey | EngineKey;
  signer: SigningKey;
  transcripts: TranscriptSource[];
  scans?: ScanAttachment[];
  title?: string;
  tool?: string;
  created?: Date;
}

export interface BuiltBundle {
  dir: string;
  manifest: Manifest;
  scores: Scores;
  summary: ReportSummary;
  files: string[];
}

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function serializeScores(s: Scores): string {
  return `${JSON.stringify(s, jsonReplacer, 1)}\n`;
}

export function specSummaryLine(spec: AnySpec): string {
  if (isEngineSpec(spec)) return `${engineSchemeSummary(spec.engine)}, tokenizer ${spec.tokenizer} (an engine's own watermark, spec version 2)`;
  const sc = spec.scheme;
  const params = sc.name === 'kgw' || sc.name === 'unigram' ? `γ = ${sc.gamma}, δ = ${sc.delta}` : sc.name === 'synthid' ? `${sc.layers} layers` : 'distortion-free';
  const ctx = sc.name === 'unigram' ? 'no context' : `context width ${spec.context.width} (${spec.context.mode})`;
  return `${sc.name} (${params}), ${ctx}, tokenizer ${spec.tokenizer}${spec.payload ? `, ${spec.payload.bits}-bit payload` : ''}`;
}

function suspectsOf(transcripts: { name: string; bytes: Uint8Array; source: string }[]): SuspectInput[] {
  const names = new Set<string>();
  return transcripts.map((t) => {
    if (!NAME_RE.test(t.name)) throw usage(`suspect name ${JSON.stringify(t.name)} must be letters, digits, '.', '_' or '-'`);
    if (names.has(t.name)) throw usage(`two transcripts have the suspect name ${JSON.stringify(t.name)}; name them with name=path`);
    names.add(t.name);
    const records = evidenceRecords(t.bytes, t.source);
    if (records.length === 0) throw usage(`${t.source}: the transcript has no responses`);
    return { name: t.name, transcript: `transcripts/${t.name}.jsonl`, transcriptSha256: sha256Hex(t.bytes), records };
  });
}

export async function buildBundle(o: BuildBundleOptions): Promise<BuiltBundle> {
  if (o.transcripts.length === 0) throw usage('no transcripts: pass --transcript (one per suspect)');
  const id = specIdOf(o.spec);
  const suspects = suspectsOf(o.transcripts.map((t) => ({ name: t.name, bytes: t.bytes, source: t.path })));
  const scores = scoreEvidence(o.spec, o.key, id, suspects, o);
  const created = (o.created ?? new Date()).toISOString();
  const meta: ReportMeta = {
    title: o.title ?? 'tracemark evidence report',
    created,
    spec: o.spec,
    specSummary: specSummaryLine(o.spec),
    signerPublicKey: o.signer.publicKey,
    tool: o.tool ?? 'tracemark',
    ...(o.scans ? { scans: o.scans.map((s) => ({ name: `scans/${s.name}.json`, summary: s.summary })) } : {}),
  };
  const summary = reportSummary(scores, meta);
  const files = new Map<string, string | Uint8Array>();
  files.set('spec.json', `${JSON.stringify(o.spec, null, 2)}\n`);
  files.set('key-fingerprint.txt', `${o.spec.keyFingerprint}\n`);
  for (const t of o.transcripts) files.set(`transcripts/${t.name}.jsonl`, t.bytes);
  for (const s of o.scans ?? []) files.set(`scans/${s.name}.json`, s.bytes);
  files.set('scores.json', serializeScores(scores));
  files.set('report.html', renderHtml(scores, meta));
  files.set('report.md', renderMarkdown(scores, meta));
  files.set('report.json', `${JSON.stringify(summary, jsonReplacer, 2)}\n`);
  let manifest: Manifest;
  try {
    manifest = await writeBundle(o.out, files, o.signer, new Date(created));
  } catch (e) {
    const m = (e as Error).message;
    throw /refusing to overwrite/.test(m) ? usage(m) : failure(`cannot write the bundle ${o.out}: ${m}`);
  }
  return { dir: o.out, manifest, scores, summary, files: [...files.keys()].sort() };
}

// ---------------------------------------------------------------------------
// Reproduction

const RecordedSchema = z
  .object({
    type: z.literal('tracemark-scores'),
    version: z.literal(1),
    alpha: z.number(),
    specId: z.string(),
    keyFingerprint: z.string(),
    method: z.object({
      decoys: z.object({ count: z.number().int().min(0), seed: z.string().regex(/^[0-9a-f]{64}$/) }).passthrough(),
      heatmap: z.object({ responses: z.number().int().min(0), maxTokens: z.number().int().min(0) }),
    }).passthrough(),
    suspects: z.array(z.object({ name: z.string(), transcript: z.string(), transcriptSha256: z.string() }).passthrough()),
  })
  .passthrough();

export interface Mismatch {
  path: string;
  recorded: string;
  recomputed: string;
}

export interface Reproduction {
  ok: boolean;
  mismatches: Mismatch[];
  suspects: { name: string; scored: number | null; lnP: number | null; reproducedScored: number; reproducedLnP: number; equal: boolean }[];
}

function readBundleFile(dir: string, path: string): Uint8Array {
  try {
    return readFileSync(join(dir, path));
  } catch {
    throw failure(`${join(dir, path)}: cannot read it from the bundle`);
  }
}

/** Differences between two JSON values, by path (at most `limit`). */
export function jsonDiff(a: unknown, b: unknown, path = '', out: Mismatch[] = [], limit = 20): Mismatch[] {
  if (out.length >= limit) return out;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null || typeof a !== 'object') {
    if (!Object.is(a, b) && canonicalJson(a) !== canonicalJson(b)) out.push({ path: path || '(root)', recorded: short(a), recomputed: short(b) });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push({ path: `${path}.length`, recorded: String(a.length), recomputed: String(b.length) });
    for (let i = 0; i < Math.min(a.length, b.length); i++) jsonDiff(a[i], b[i], `${path}[${i}]`, out, limit);
    return out;
  }
  const ao = a as Record<string, unknown>, bo = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) jsonDiff(ao[k], bo[k], path ? `${path}.${k}` : k, out, limit);
  return out;
}

function short(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Re-run detection from the bundle's transcripts and spec with the key, using the
 * options recorded in scores.json, and compare every recorded number exactly.
 */
export function reproduceBundle(dir: string, key: WatermarkKey | EngineKey, opts: { onProgress?: (done: number, total: number) => void } = {}): Reproduction {
  let spec: AnySpec;
  try {
    spec = parseAnySpecJson(new TextDecoder().decode(readBundleFile(dir, 'spec.json')));
  } catch (e) {
    throw failure(`spec.json in the bundle is invalid: ${(e as Error).message}`);
  }
  assertKeyMatches(key, spec.keyFingerprint, { what: "the bundle spec's", error: usage });
  const recordedText = new TextDecoder().decode(readBundleFile(dir, 'scores.json'));
  let recordedJson: unknown;
  try {
    recordedJson = JSON.parse(recordedText);
  } catch {
    throw failure('scores.json in the bundle is not valid JSON');
  }
  const rec = RecordedSchema.safeParse(recordedJson);
  if (!rec.success) throw failure(`scores.json in the bundle is not a tracemark scores file: ${rec.error.issues[0]!.path.join('.')}: ${rec.error.issues[0]!.message}`);
  const r = rec.data;
  const mismatches: Mismatch[] = [];
  const id = specIdOf(spec);
  const transcripts = r.suspects.map((s) => {
    if (!/^transcripts\/[A-Za-z0-9][A-Za-z0-9._-]*\.jsonl$/.test(s.transcript)) throw failure(`scores.json names an invalid transcript path ${JSON.stringify(s.transcript)}`);
    const bytes = readBundleFile(dir, s.transcript);
    const h = sha256Hex(bytes);
    if (h !== s.transcriptSha256) mismatches.push({ path: `${s.transcript} sha256`, recorded: s.transcriptSha256, recomputed: h });
    return { name: s.name, bytes, source: s.transcript };
  });
  const suspects = suspectsOf(transcripts);
  const recomputed = scoreEvidence(spec, key, id, suspects, {
    alpha: r.alpha,
    decoys: r.method.decoys.count,
    decoySeed: r.method.decoys.seed,
    heatmap: r.method.heatmap.responses,
    heatmapTokens: r.method.heatmap.maxTokens,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const again = JSON.parse(serializeScores(recomputed)) as unknown;
  jsonDiff(recordedJson, again, '', mismatches);
  const exact = canonicalJson(recordedJson) === canonicalJson(again);
  const recSuspects = (recordedJson as { suspects: { name: string; pooled?: { scored?: number; lnP?: number } }[] }).suspects;
  return {
    ok: exact && mismatches.length === 0,
    mismatches,
    suspects: recomputed.suspects.map((s, i) => {
      const rp = recSuspects[i]?.pooled;
      const scored = typeof rp?.scored === 'number' ? rp.scored : null;
      const lnP = typeof rp?.lnP === 'number' ? rp.lnP : null;
      return { name: s.name, scored, lnP, reproducedScored: s.pooled.scored, reproducedLnP: s.pooled.lnP, equal: scored !== null && lnP !== null && Object.is(scored, s.pooled.scored) && Object.is(lnP, s.pooled.lnP) };
    }),
  };
}

export { verifyBundle };
