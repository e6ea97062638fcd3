// Test helpers: load an engine vector file and compare floats by their exact hex.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { toPythonHex } from '../../src/engines/float-bits.js';

const dir = fileURLToPath(new URL('../../../../test/vectors/engines/', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function loadVectors(name: string): Json {
  return JSON.parse(readFileSync(dir + name, 'utf8'));
}

export interface HexFloat {
  dec: string;
  hex: string;
}

export function parseHexFloat(h: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]+)p([+-]\d+)$/.exec(h);
  if (!m) throw new Error(`bad hex float ${h}`);
  const frac = m[3]!;
  let mant = parseInt(m[2]!, 16);
  for (let i = 0; i < frac.length; i++) mant += parseInt(frac[i]!, 16) / 16 ** (i + 1);
  return (m[1] ? -1 : 1) * mant * 2 ** parseInt(m[4]!, 10);
}

/** Bit-exact comparison, reported in hex. */
export function expectHex(actual: number, expected: HexFloat, what = ''): void {
  expect(toPythonHex(actual), `${what} (expected ${expected.dec})`).toBe(toPythonHex(parseHexFloat(expected.hex)));
}

/** Relative comparison for sums and tails (README §8: 1e-12 relative). */
export function expectClose(actual: number, expected: HexFloat | number, what = '', rel = 1e-12): void {
  const e = typeof expected === 'number' ? expected : parseHexFloat(expected.hex);
  const tol = rel * Math.max(Math.abs(e), Number.MIN_VALUE);
  if (!(Math.abs(actual - e) <= tol)) {
    expect.fail(`${what}: ${actual} vs ${e} (rel err ${Math.abs(actual - e) / Math.abs(e)})`);
  }
}
