/**
 * Runnable: node --conditions=source --import tsx packages/watermark/examples/score-a-sequence.ts
 *
 * Creates a key and a spec, then reads the green list for a few (window, token) pairs —
 * the two questions both the embedder and the detector ask of the core.
 */
import { Watermark, exportKeyFile, generateKey, parseSpec, type Seed } from '@tracemark/watermark';

const key = generateKey();
const spec = parseSpec({
  version: 1,
  scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
  context: { width: 1, mode: 'left' },
  keyFingerprint: key.fingerprint,
});
const wm = new Watermark(spec, key);

console.log('spec:', JSON.stringify(spec));
console.log('key file fields:', Object.keys(exportKeyFile(key)).join(', '), '(the key itself is not printed)');

const tokens = [1212, 3303, 382, 261, 1746, 13];
const seed: Seed = { hi: 0, lo: 0 };
for (let i = 1; i < tokens.length; i++) {
  wm.windowSeed(tokens, i, seed); // window = tokens[i-1]
  console.log(`position ${i}: token ${tokens[i]} is ${wm.isGreen(seed, tokens[i]!) ? 'green' : 'red'}`);
}
