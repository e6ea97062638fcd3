/**
 * Evidence bundles: a directory of files plus manifest.json holding the SHA-256 of every
 * file, an RFC 6962 Merkle root over them, and an Ed25519 signature of the manifest.
 * Any changed, missing or extra file makes verification fail and name the file.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '@tracemark/watermark';
import { z } from 'zod';
import { leafHash, merkleRootOfLeafHashes } from './merkle.js';
import { verifySignature, type SigningKey } from './signing-key.js';

export const MANIFEST = 'manifest.json';
const utf8 = new TextEncoder();

const FileEntrySchema = z.strictObject({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export const ManifestSchema = z.strictObject({
  type: z.literal('tracemark-bundle'),
  version: z.literal(1),
  created: z.string(),
  files: z.array(FileEntrySchema),
  merkleRoot: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.strictObject({
    algorithm: z.literal('ed25519'),
    publicKey: z.string().regex(/^[0-9a-f]{64}$/),
    value: z.string().regex(/^[0-9a-f]{128}$/),
  }),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type FileEntry = z.infer<typeof FileEntrySchema>;

/** The leaf for one file binds its path and its content hash. */
function fileLeaf(e: FileEntry): Uint8Array {
  return leafHash(utf8.encode(`${e.path}\0${e.sha256}`));
}

export function merkleRoot(files: readonly FileEntry[]): string {
  return bytesToHex(merkleRootOfLeafHashes(files.map(fileLeaf)));
}

/** What is signed: the canonical JSON of the manifest without its signature's value. */
function signedBytes(m: Omit<Manifest, 'signature'> & { signature: { algorithm: 'ed25519'; publicKey: string } }): Uint8Array {
  return utf8.encode(canonicalJson({ ...m, signature: { algorithm: m.signature.algorithm, publicKey: m.signature.publicKey } }));
}

function checkPath(p: string): void {
  if (p === MANIFEST || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new Error(`invalid bundle file path: ${JSON.stringify(p)}`);
  }
}

/**
 * Write a bundle atomically: everything goes to a sibling temp directory that is renamed
 * into place only when complete, so a crash leaves no half-written bundle.
 */
export async function writeBundle(
  dir: string,
  files: ReadonlyMap<string, Uint8Array | string>,
  signer: SigningKey,
  created = new Date(),
): Promise<Manifest> {
  if (await exists(dir)) throw new Error(`refusing to overwrite existing bundle directory ${dir}`);
  const entries: FileEntry[] = [];
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      checkPath(path);
      const bytes = typeof content === 'string' ? utf8.encode(content) : content;
      await mkdir(dirname(join(tmp, path)), { recursive: true });
      await writeFile(join(tmp, path), bytes);
      entries.push({ path, sha256: bytesToHex(sha256(bytes)), bytes: bytes.length });
    }
    const unsigned = {
      type: 'tracemark-bundle' as const,
      version: 1 as const,
      created: created.toISOString(),
      files: entries,
      merkleRoot: merkleRoot(entries),
      signature: { algorithm: 'ed25519' as const, publicKey: signer.publicKey },
    };
    const manifest: Manifest = { ...unsigned, signature: { ...unsigned.signature, value: signer.sign(signedBytes(unsigned)) } };
    await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    await rename(tmp, dir);
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface BundleProblem {
  kind: 'changed' | 'missing' | 'extra' | 'manifest' | 'merkle' | 'signature' | 'untrusted-key';
  path?: string;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  problems: BundleProblem[];
  manifest?: Manifest;
}

/**
 * Check every file's hash, the file set, the Merkle root and the signature. With
 * `trustedPublicKey` a bundle signed by any other key fails too.
 */
export async function verifyBundle(dir: string, opts: { trustedPublicKey?: string } = {}): Promise<VerifyResult> {
  const problems: BundleProblem[] = [];
  let manifest: Manifest;
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')));
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      return { ok: false, problems: [{ kind: 'manifest', path: MANIFEST, message: `manifest.json is invalid: ${i.path.join('.')}: ${i.message}` }] };
    }
    manifest = parsed.data;
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'manifest.json is missing' : 'manifest.json is not valid JSON';
    return { ok: false, problems: [{ kind: 'manifest', path: MANIFEST, message: msg }] };
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    let bytes: Uint8Array;
    try {
      checkPath(f.path);
      bytes = await readFile(join(dir, f.path));
    } catch {
      problems.push({ kind: 'missing', path: f.path, message: `${f.path}: listed in the manifest but missing` });
      continue;
    }
    if (bytes.length !== f.bytes || bytesToHex(sha256(bytes)) !== f.sha256) {
      problems.push({ kind: 'changed', path: f.path, message: `${f.path}: content differs from the manifest (SHA-256 mismatch)` });
    }
  }
  for (const p of await listFiles(dir)) {
    if (p !== MANIFEST && !listed.has(p)) problems.push({ kind: 'extra', path: p, message: `${p}: not listed in the manifest` });
  }
  if (merkleRoot(manifest.files) !== manifest.merkleRoot) {
    problems.push({ kind: 'merkle', path: MANIFEST, message: 'manifest.json: the Merkle root does not match the listed files' });
  }
  if (!verifySignature(manifest.signature.value, signedBytes(manifest), manifest.signature.publicKey)) {
    problems.push({ kind: 'signature', path: MANIFEST, message: 'manifest.json: the Ed25519 signature is not valid' });
  }
  if (opts.trustedPublicKey !== undefined && opts.trustedPublicKey !== manifest.signature.publicKey) {
    problems.push({ kind: 'untrusted-key', path: MANIFEST, message: 'manifest.json: signed by a key other than the trusted one' });
  }
  return { ok: problems.length === 0, problems, manifest };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Every regular file below dir, as '/'-separated relative paths. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() || e.isSymbolicLink()) out.push(relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

export { bytesToHex, hexToBytes };
