/**
 * `verifyReport`: everything a third party can check about an evidence bundle —
 * integrity (every file's SHA-256, the file set, the Merkle root), the Ed25519
 * signature (optionally against a trusted signer) and, given the watermark key, a
 * re-run of the detection from the bundle's own transcripts and spec that must
 * reproduce every recorded number bit for bit. Detection is never re-run on a bundle
 * whose integrity check failed, and the key is only read when it is needed.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { assertKeyMatches, isEngineSpec, parseAnySpecJson, type AnySpec, type EngineKey, type WatermarkKey } from '@tracemark/watermark';
import { failure, loadAnyKey, loadKey, readTextFile, usage } from '@tracemark/detector';
import { verifyBundle, type BundleProblem } from '../bundle/index.js';
import { reproduceBundle, type Mismatch, type Reproduction } from './bundle.js';

export interface VerifyReportOptions {
  /** Watermark key file (an engine key file for an engine spec): re-run detection from the bundle and compare bit for bit. */
  keyFile?: string;
  /** Require this Ed25519 signer (64 lowercase hex characters). */
  trustedPublicKey?: string;
  /** With keyFile: called as the bundle's responses are re-scored, (0, total) … (total, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface ReportVerification {
  bundle: string;
  /** Integrity passed and, when checked, every number was reproduced. */
  ok: boolean;
  integrity: { ok: boolean; problems: { kind: BundleProblem['kind']; path?: string; message: string }[] };
  signer: { publicKey: string | null; trusted: boolean | null };
  /** null when no key was given. */
  reproduction: {
    checked: boolean;
    ok: boolean;
    reason?: string;
    mismatches: Mismatch[];
    suspects: Reproduction['suspects'];
  } | null;
}

export async function verifyReport(dir: string, o: VerifyReportOptions = {}): Promise<ReportVerification> {
  try {
    if (!statSync(dir).isDirectory()) throw usage(`not a bundle directory: ${dir}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw usage(`bundle not found: ${dir}`);
    throw e;
  }
  const trusted = o.trustedPublicKey;
  const v = await verifyBundle(dir, trusted !== undefined ? { trustedPublicKey: trusted } : {});
  let reproduction: ReportVerification['reproduction'] = null;
  if (o.keyFile !== undefined) {
    if (!v.ok) {
      reproduction = { checked: false, ok: false, reason: 'integrity check failed: not re-running detection on altered evidence', mismatches: [], suspects: [] };
    } else {
      let spec: AnySpec;
      try {
        spec = parseAnySpecJson(readTextFile(join(dir, 'spec.json'), 'bundle spec'));
      } catch (e) {
        throw failure(`spec.json in the bundle is invalid: ${(e as Error).message}`);
      }
      let key: WatermarkKey | EngineKey;
      if (isEngineSpec(spec)) key = loadAnyKey(o.keyFile, spec);
      else {
        key = loadKey(o.keyFile);
        assertKeyMatches(key, spec.keyFingerprint, { what: "the bundle spec's", error: (m) => usage(`${o.keyFile}: ${m}`) });
      }
      const r = reproduceBundle(dir, key, o.onProgress ? { onProgress: o.onProgress } : {});
      reproduction = { checked: true, ok: r.ok, mismatches: r.mismatches, suspects: r.suspects };
    }
  }
  const ok = v.ok && (reproduction === null || reproduction.ok);
  return {
    bundle: dir,
    ok,
    integrity: { ok: v.ok, problems: v.problems.map((p) => ({ kind: p.kind, ...(p.path !== undefined ? { path: p.path } : {}), message: p.message })) },
    signer: { publicKey: v.manifest?.signature.publicKey ?? null, trusted: trusted === undefined ? null : trusted === v.manifest?.signature.publicKey },
    reproduction,
  };
}
