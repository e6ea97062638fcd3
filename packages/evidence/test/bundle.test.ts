import { mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  MANIFEST,
  generateSigningKeyFile,
  leafHash,
  merkleRootOfLeafHashes,
  signingKeyFromFile,
  verifyBundle,
  writeBundle,
} from '@tracemark/evidence';

const signer = signingKeyFromFile(JSON.stringify(generateSigningKeyFile()));
const files = new Map<string, string | Uint8Array>([
  ['spec.json', '{"version":1}\n'],
  ['key-fingerprint.txt', 'ab'.repeat(16) + '\n'],
  ['transcripts/clone.jsonl', '{"prompt":"a","response":"b"}\n{"prompt":"c","response":"d"}\n'],
  ['scores.json', '{"log10P":-12.5}\n'],
  ['report/report.html', '<html><body>verdict</body></html>'],
  ['report/heatmap.bin', Uint8Array.from([0, 1, 2, 255])],
]);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tracemark-bundle-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshBundle(name: string): Promise<string> {
  const dir = join(root, name);
  await writeBundle(dir, files, signer);
  return dir;
}

describe('Merkle tree (RFC 6962)', () => {
  it('hashes 0, 1, 2 and 3 leaves as the RFC defines', () => {
    const h = (...parts: Uint8Array[]) => sha256(Uint8Array.from(parts.flatMap((p) => [...p])));
    const [a, b, c] = ['a', 'b', 'c'].map((s) => leafHash(new TextEncoder().encode(s))) as [Uint8Array, Uint8Array, Uint8Array];
    expect(bytesToHex(merkleRootOfLeafHashes([]))).toBe(bytesToHex(sha256(new Uint8Array(0))));
    expect(bytesToHex(merkleRootOfLeafHashes([a]))).toBe(bytesToHex(a));
    const ab = h(Uint8Array.of(1), a, b);
    expect(bytesToHex(merkleRootOfLeafHashes([a, b]))).toBe(bytesToHex(ab));
    expect(bytesToHex(merkleRootOfLeafHashes([a, b, c]))).toBe(bytesToHex(h(Uint8Array.of(1), ab, c)));
  });
});

describe('evidence bundle', () => {
  it('verifies a freshly written bundle', async () => {
    const dir = await freshBundle('ok');
    const r = await verifyBundle(dir, { trustedPublicKey: signer.publicKey });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.manifest!.files.map((f) => f.path)).toEqual([...files.keys()].sort());
  });

  it('refuses to overwrite an existing bundle and leaves no temp directory behind', async () => {
    const dir = await freshBundle('twice');
    await expect(writeBundle(dir, files, signer)).rejects.toThrow(/refusing to overwrite/);
    await expect(writeBundle(join(root, 'bad-path'), new Map([['../escape', 'x']]), signer)).rejects.toThrow(/invalid bundle file path/);
    expect((await readdir(root)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('fails and names the file for a single-byte change in any file, manifest included', async () => {
    const all = [...files.keys(), MANIFEST];
    for (const [i, path] of all.entries()) {
      const dir = await freshBundle(`tamper-${i}`);
      const p = join(dir, path);
      const bytes = await readFile(p);
      // Flip one byte somewhere in the middle of the file.
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      await writeFile(p, bytes);
      const r = await verifyBundle(dir);
      expect(r.ok, path).toBe(false);
      expect(r.problems.some((q) => q.path === path), `${path}: ${JSON.stringify(r.problems)}`).toBe(true);
    }
  });

  it('fails on a missing file and on an extra file, naming each', async () => {
    const dir = await freshBundle('missing');
    await unlink(join(dir, 'scores.json'));
    const r = await verifyBundle(dir);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'missing', path: 'scores.json' }));
    const dir2 = await freshBundle('extra');
    await writeFile(join(dir2, 'transcripts', 'injected.jsonl'), '{}\n');
    const r2 = await verifyBundle(dir2);
    expect(r2.problems).toEqual([expect.objectContaining({ kind: 'extra', path: 'transcripts/injected.jsonl' })]);
  });

  it('detects a consistently re-hashed manifest (forged without the signing key)', async () => {
    const dir = await freshBundle('forged');
    await writeFile(join(dir, 'scores.json'), '{"log10P":-99}\n');
    const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
    const entry = m.files.find((f: { path: string }) => f.path === 'scores.json');
    const bytes = new TextEncoder().encode('{"log10P":-99}\n');
    entry.sha256 = bytesToHex(sha256(bytes));
    entry.bytes = bytes.length;
    await writeFile(join(dir, MANIFEST), JSON.stringify(m));
    const r = await verifyBundle(dir);
    expect(r.problems.map((p) => p.kind).sort()).toEqual(['merkle', 'signature']);
  });

  it('rejects a bundle re-signed by another key when a trusted key is given', async () => {
    const other = signingKeyFromFile(JSON.stringify(generateSigningKeyFile()));
    const dir = join(root, 'other-signer');
    await writeBundle(dir, files, other);
    expect((await verifyBundle(dir)).ok).toBe(true);
    const r = await verifyBundle(dir, { trustedPublicKey: signer.publicKey });
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'untrusted-key' })]);
  });

  it('reports an unreadable manifest clearly', async () => {
    const dir = await freshBundle('broken-manifest');
    await writeFile(join(dir, MANIFEST), '{not json');
    expect((await verifyBundle(dir)).problems).toEqual([
      { kind: 'manifest', path: MANIFEST, message: 'manifest.json is not valid JSON' },
    ]);
  });

  it('signing key file: the secret is validated and never serialised', () => {
    const file = generateSigningKeyFile();
    const key = signingKeyFromFile(JSON.stringify(file));
    expect(JSON.stringify(key)).not.toContain(file.secretKey);
    expect(String(key)).not.toContain(file.secretKey);
    expect(() => signingKeyFromFile(JSON.stringify({ ...file, publicKey: '00'.repeat(32) }))).toThrow(/corrupt/);
    expect(() => signingKeyFromFile('{')).toThrow(/not valid JSON/);
  });
});
