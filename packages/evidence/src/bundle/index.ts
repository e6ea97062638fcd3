export { writeBundle, verifyBundle, merkleRoot, ManifestSchema, MANIFEST } from './bundle.js';
export type { Manifest, FileEntry, BundleProblem, VerifyResult } from './bundle.js';
export { generateSigningKeyFile, loadSigningKey, signingKeyFromFile, verifySignature, publicKeyId, SigningKeyFileSchema } from './signing-key.js';
export type { SigningKey, SigningKeyFile } from './signing-key.js';
export { leafHash, merkleRootOfLeafHashes } from './merkle.js';
