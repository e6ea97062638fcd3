/**
 * `tracemark keygen`: a fresh 256-bit watermark key (or, with --signing, an Ed25519
 * evidence-signing key) written 0600 to a new file. Only the public fingerprint is printed.
 */
import { exportKeyFile, generateKey } from '@tracemark/watermark';
import type { Command } from 'commander';
import { generateSigningKeyFile, publicKeyId } from '@tracemark/evidence';
import { writeSecretFile } from '@tracemark/detector';
import { printJson, println } from '../io/output.js';
import type { KeygenOutput } from '../schemas.js';

export interface KeygenFlags {
  out: string;
  signing?: boolean;
  json?: boolean;
}

export function runKeygen(f: KeygenFlags): KeygenOutput {
  if (f.signing) {
    const file = generateSigningKeyFile();
    writeSecretFile(f.out, `${JSON.stringify(file, null, 2)}\n`);
    return { command: 'keygen', kind: 'signing', path: f.out, fingerprint: publicKeyId(file.publicKey), publicKey: file.publicKey };
  }
  const key = generateKey();
  writeSecretFile(f.out, `${JSON.stringify(exportKeyFile(key), null, 2)}\n`);
  return { command: 'keygen', kind: 'watermark', path: f.out, fingerprint: key.fingerprint };
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('create a secret watermark key (or, with --signing, an evidence-signing key); prints only its fingerprint')
    .requiredOption('--out <file>', 'where to write the key (created 0600; never overwritten)')
    .option('--signing', 'an Ed25519 key for signing evidence bundles, separate from the watermark key')
    .option('--json', 'machine-readable output')
    .action((f: KeygenFlags) => {
      const r = runKeygen(f);
      if (f.json) printJson(r);
      else if (r.kind === 'signing') {
        println(`wrote signing key ${r.path}`);
        println(`public key ${r.publicKey}`);
        println(`key id     ${r.fingerprint}`);
      } else {
        println(`wrote watermark key ${r.path} (mode 0600; keep it secret)`);
        println(`fingerprint ${r.fingerprint}`);
      }
    });
}
