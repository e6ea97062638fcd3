/**
 * Merkle tree hash of RFC 6962 (Certificate Transparency) §2.1 over SHA-256, with
 * domain-separated leaves (0x00) and nodes (0x01), so a leaf can never pose as a node.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export function leafHash(data: Uint8Array): Uint8Array {
  const b = new Uint8Array(data.length + 1);
  b[0] = 0x00;
  b.set(data, 1);
  return sha256(b);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = 0x01;
  b.set(left, 1);
  b.set(right, 33);
  return sha256(b);
}

/** MTH(D[n]) for already leaf-hashed entries. */
export function merkleRootOfLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2; // largest power of two < n
  return nodeHash(merkleRootOfLeafHashes(leaves.slice(0, k)), merkleRootOfLeafHashes(leaves.slice(k)));
}
