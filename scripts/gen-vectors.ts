/**
 * Writes test/vectors/*.json: tracemark's own interoperability vectors. Every value
 * is derived from docs/SPEC.md alone; test/reference/tracemark_ref.py re-derives all
 * of them independently, and test/vectors.test.ts checks this implementation.
 *
 *   node --conditions=source --import tsx scripts/gen-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SUBKEY_PURPOSES,
  Watermark,
  WatermarkKey,
  deriveSubkeyBytes,
  parseSpec,
  seededRng,
  toHex,
  u64Hex,
  type Seed,
  type WatermarkSpecInput,
} from '@tracemark/watermark';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');
const rng = seededRng('tracemark-vectors-v1');
const randInt = (n: number) => Math.floor(rng() * n);

const keys = [
  new WatermarkKey(Uint8Array.from({ length: 32 }, (_, i) => i)),
  new WatermarkKey(Uint8Array.from({ length: 32 }, () => randInt(256))),
];

function write(name: string, data: unknown): void {
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(data, null, 1) + '\n');
}

write('keys', {
  description: 'fingerprint = HKDF-SHA256(key, salt "tracemark/v1", info "fingerprint", 16); subkey(p) = HKDF-SHA256(key, salt "tracemark/v1", info "siphash/<p>", 16)',
  vectors: keys.map((k) => ({
    key: toHex(k.secretBytes()),
    fingerprint: k.fingerprint,
    subkeys: Object.fromEntries(SUBKEY_PURPOSES.map((p) => [p, toHex(deriveSubkeyBytes(k.secretBytes(), p))])),
  })),
});

const randomTokens = (n: number) => Array.from({ length: n }, () => (rng() < 0.1 ? 200_000 + randInt(2 ** 20) : randInt(200_019)));

interface Case {
  spec: WatermarkSpecInput;
  label: string;
}
const fpOf = (k: WatermarkKey) => k.fingerprint;
const cases: Case[] = [];
for (const [mode, widths] of [['left', [1, 2, 3, 4, 8]], ['min', [1, 2, 4]], ['self', [1, 2, 4]]] as const) {
  for (const width of widths) {
    cases.push({ label: `kgw-${mode}-h${width}`, spec: { version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width, mode }, keyFingerprint: '' } });
  }
}
cases.push({ label: 'kgw-gamma-0.3', spec: { version: 1, scheme: { name: 'kgw', gamma: 0.3, delta: 2 }, context: { width: 2, mode: 'left' }, keyFingerprint: '' } });
cases.push({ label: 'kgw-payload', spec: { version: 1, scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: { bits: 32, digitBits: 2 }, keyFingerprint: '' } });
cases.push({ label: 'gumbel-left-h2', spec: { version: 1, scheme: { name: 'gumbel' }, context: { width: 2, mode: 'left' }, keyFingerprint: '' } });
cases.push({ label: 'gumbel-self-h1', spec: { version: 1, scheme: { name: 'gumbel' }, context: { width: 1, mode: 'self' }, keyFingerprint: '' } });
cases.push({ label: 'synthid-left-h4', spec: { version: 1, scheme: { name: 'synthid', layers: 30 }, context: { width: 4, mode: 'left' }, keyFingerprint: '' } });
cases.push({ label: 'synthid-min-h2-m64', spec: { version: 1, scheme: { name: 'synthid', layers: 64 }, context: { width: 2, mode: 'min' }, keyFingerprint: '' } });
cases.push({ label: 'unigram', spec: { version: 1, scheme: { name: 'unigram', gamma: 0.5, delta: 2 }, context: { width: 1, mode: 'left' }, keyFingerprint: '' } });

const window: Seed = { hi: 0, lo: 0 };
const tokenSeed: Seed = { hi: 0, lo: 0 };
const schemes = cases.map(({ label, spec }, ci) => {
  const key = keys[ci % keys.length]!;
  const full = parseSpec({ ...spec, keyFingerprint: fpOf(key) });
  const wm = new Watermark(full, key);
  const vectors = Array.from({ length: 12 }, () => {
    const ctx = randomTokens(full.context.width);
    const token = randomTokens(1)[0]!;
    wm.windowSeed(ctx, ctx.length, window);
    wm.tokenSeed(window, token, tokenSeed);
    const x = wm.prf(window, token);
    const prf = u64Hex(x.hi, x.lo);
    const v: Record<string, unknown> = {
      window: ctx,
      token,
      windowSeed: full.scheme.name === 'unigram' ? '0000000000000000' : u64Hex(window.hi, window.lo),
      tokenSeed: u64Hex(tokenSeed.hi, tokenSeed.lo),
      prf,
    };
    switch (full.scheme.name) {
      case 'kgw':
      case 'unigram':
        v.green = wm.isGreen(window, token);
        if (full.payload) {
          v.position = wm.payloadPosition(window, token);
          v.colour = wm.payloadColour(window, token);
        }
        break;
      case 'gumbel':
        v.r = wm.uniform(window, token).toPrecision(17);
        v.score = wm.score(window, token).toPrecision(17);
        break;
      case 'synthid': {
        const bits: number[] = [];
        for (let l = 0; l < full.scheme.layers; l++) bits.push(l < 32 ? (x.lo >>> l) & 1 : (x.hi >>> (l - 32)) & 1);
        v.g = bits.join('');
        v.score = wm.score(window, token);
        break;
      }
    }
    return v;
  });
  return { label, key: toHex(key.secretBytes()), spec: full, vectors };
});
write('schemes', {
  description: 'Per-scheme PRF vectors: window (previous h tokens, oldest first) and token → seeds, 64-bit PRF output (hex, big-endian), and the scheme reading (docs/SPEC.md)',
  cases: schemes,
});
console.log(`wrote ${keys.length} key vectors and ${schemes.length} scheme cases to ${outDir}`);
