/**
 * `tracemark verify <bundle>`: integrity (every file's SHA-256, the file set, the Merkle
 * root), the Ed25519 signature (optionally against a trusted signer), and — with the
 * watermark key — a re-run of the detection from the bundle's own transcripts and spec
 * that must reproduce every recorded number bit for bit.
 *
 * Exit 0 when everything checked passes; 1 (with one line on stderr naming the first
 * problem) otherwise.
 */
import type { Command } from 'commander';
import { verifyReport } from '@tracemark/evidence';
import { exists, failure, readTextFile, usage } from '@tracemark/detector';
import { printJson, println, progress } from '../io/output.js';
import type { VerifyOutput } from '../schemas.js';

export interface VerifyFlags {
  key?: string;
  trustedSigner?: string;
  json?: boolean;
}

/** A public key as 64 hex characters, or a file holding it (plain, or JSON with "publicKey"). */
export function trustedKeyOf(arg: string): string {
  const s = arg.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return s.toLowerCase();
  if (!exists(arg)) throw usage(`--trusted-signer must be a 64-hex-character Ed25519 public key or a file holding one (not found: ${arg})`);
  const text = readTextFile(arg, 'trusted signer file').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  try {
    const j = JSON.parse(text) as { publicKey?: unknown };
    if (typeof j.publicKey === 'string' && /^[0-9a-f]{64}$/.test(j.publicKey)) return j.publicKey;
  } catch {
    /* fall through */
  }
  throw usage(`${arg}: no Ed25519 public key found (expected 64 hex characters or JSON with "publicKey")`);
}

export async function runVerify(dir: string, f: VerifyFlags): Promise<VerifyOutput> {
  const trusted = f.trustedSigner !== undefined ? trustedKeyOf(f.trustedSigner) : undefined;
  const bar = progress('verify');
  const r = await verifyReport(dir, {
    ...(f.key !== undefined ? { keyFile: f.key, onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
    ...(trusted !== undefined ? { trustedPublicKey: trusted } : {}),
  }).finally(() => bar.done());
  return { command: 'verify', ...r };
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check an evidence bundle: file hashes, Merkle root, signature; with --key, reproduce every number')
    .argument('<bundle>', 'bundle directory')
    .option('--key <file>', 'watermark key (an engine key file for an engine spec): re-run detection from the bundle and compare bit for bit')
    .option('--trusted-signer <pubkey|file>', 'require this Ed25519 signer (64 hex characters, or a file holding it)')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, f: VerifyFlags) => {
      const r = await runVerify(dir, f);
      if (f.json) printJson(r);
      else {
        println(`integrity: ${r.integrity.ok ? 'ok (every file hash, the file set, the Merkle root and the signature check out)' : 'FAILED'}`);
        for (const p of r.integrity.problems) println(`  ${p.kind}: ${p.message}`);
        if (r.signer.publicKey) println(`signer: ${r.signer.publicKey}${r.signer.trusted === null ? ' (not checked against a trusted key)' : r.signer.trusted ? ' (trusted)' : ' (NOT the trusted key)'}`);
        if (r.reproduction) {
          if (!r.reproduction.checked) println(`reproduction: skipped (${r.reproduction.reason})`);
          else {
            println(`reproduction: ${r.reproduction.ok ? 'ok — every recorded number reproduced bit for bit' : 'FAILED'}`);
            for (const s of r.reproduction.suspects) println(`  ${s.name}: scored ${s.reproducedScored} (recorded ${s.scored}), ln p ${s.reproducedLnP} (recorded ${s.lnP})`);
            for (const m of r.reproduction.mismatches) println(`  ${m.path}: recorded ${m.recorded}, recomputed ${m.recomputed}`);
          }
        } else println('reproduction: not checked (pass --key to re-run detection)');
      }
      if (!r.ok) {
        const first = r.integrity.problems[0]?.message ?? (r.reproduction?.mismatches[0] ? `recorded numbers not reproduced (${r.reproduction.mismatches[0].path})` : 'reproduction failed');
        throw failure(`bundle verification failed: ${first}`);
      }
    });
}
