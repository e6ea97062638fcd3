import { describe, expect, it } from 'vitest';
import { siphash24, siphash24Bytes, sipKeyFromBytes, sipSeedToken, sipTokens, sipU32, type U64 } from '../src/siphash.js';

// The 64 vectors of the SipHash-2-4 reference implementation (vectors.h): key = 00..0f,
// message i = bytes 00..(i-1), output read as a little-endian uint64.
const OFFICIAL = [
  '726fdb47dd0e0e31', '74f839c593dc67fd', '0d6c8009d9a94f5a', '85676696d7fb7e2d',
  'cf2794e0277187b7', '18765564cd99a68d', 'cbc9466e58fee3ce', 'ab0200f58b01d137',
  '93f5f5799a932462', '9e0082df0ba9e4b0', '7a5dbbc594ddb9f3', 'f4b32f46226bada7',
  '751e8fbc860ee5fb', '14ea5627c0843d90', 'f723ca908e7af2ee', 'a129ca6149be45e5',
  '3f2acc7f57c29bdb', '699ae9f52cbe4794', '4bc1b3f0968dd39c', 'bb6dc91da77961bd',
  'bed65cf21aa2ee98', 'd0f2cbb02e3b67c7', '93536795e3a33e88', 'a80c038ccd5ccec8',
  'b8ad50c6f649af94', 'bce192de8a85b8ea', '17d835b85bbb15f3', '2f2e6163076bcfad',
  'de4daaaca71dc9a5', 'a6a2506687956571', 'ad87a3535c49ef28', '32d892fad841c342',
  '7127512f72f27cce', 'a7f32346f95978e3', '12e0b01abb051238', '15e034d40fa197ae',
  '314dffbe0815a3b4', '027990f029623981', 'cadcd4e59ef40c4d', '9abfd8766a33735c',
  '0e3ea96b5304a7d0', 'ad0c42d6fc585992', '187306c89bc215a9', 'd4a60abcf3792b95',
  'f935451de4f21df2', 'a9538f0419755787', 'db9acddff56ca510', 'd06c98cd5c0975eb',
  'e612a3cb9ecba951', 'c766e62cfcadaf96', 'ee64435a9752fe72', 'a192d576b245165a',
  '0a8787bf8ecb74b2', '81b3e73d20b49b6f', '7fa8220ba3b2ecea', '245731c13ca42499',
  'b78dbfaf3a8d83bd', 'ea1ad565322a1a0b', '60e61c23a3795013', '6606d7e446282b93',
  '6ca4ecb15c5f91e1', '9f626da15c9625f3', 'e51b38608ef25f57', '958a324ceb064572',
];

const key = sipKeyFromBytes(Uint8Array.from({ length: 16 }, (_, i) => i));
const hex64 = (r: U64) => r.hi.toString(16).padStart(8, '0') + r.lo.toString(16).padStart(8, '0');
const le32 = (...xs: number[]) => {
  const b = new Uint8Array(xs.length * 4);
  xs.forEach((x, i) => new DataView(b.buffer).setUint32(4 * i, x >>> 0, true));
  return b;
};

describe('SipHash-2-4', () => {
  it('matches all 64 official test vectors', () => {
    for (let i = 0; i < 64; i++) {
      const msg = Uint8Array.from({ length: i }, (_, j) => j);
      expect(hex64(siphash24(key, msg)), `vector ${i}`).toBe(OFFICIAL[i]);
    }
  });

  it('returns bytes in reference (little-endian) order', () => {
    expect(Array.from(siphash24Bytes(key, new Uint8Array(0)))).toEqual([0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72]);
  });

  it('fast entry points equal the general function on their byte encodings', () => {
    const out: U64 = { hi: 0, lo: 0 };
    for (let t = 0; t < 200; t++) {
      const a = (t * 2654435761) >>> 0;
      expect(hex64(sipU32(key, a, out))).toBe(hex64(siphash24(key, le32(a))));
      const seedHi = (t * 40503) >>> 0, seedLo = (t * 69069 + 1) >>> 0;
      expect(hex64(sipSeedToken(key, seedHi, seedLo, a, out))).toBe(hex64(siphash24(key, le32(seedLo, seedHi, a))));
      const toks = [a, t, 7 * t, 200000 - t, 3, 99, 1 << 31, 5];
      for (let h = 1; h <= 8; h++) {
        expect(hex64(sipTokens(key, toks, 0, h, out))).toBe(hex64(siphash24(key, le32(...toks.slice(0, h)))));
      }
    }
  });

  it('rejects keys that are not 16 bytes', () => {
    expect(() => sipKeyFromBytes(new Uint8Array(15))).toThrow(/16 bytes/);
  });
});
