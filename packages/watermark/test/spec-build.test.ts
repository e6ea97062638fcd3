import { describe, expect, it } from 'vitest';
import { buildSpec, contextModeOf, describeSpec, parseSpec, schemeOptionsProblem, SpecError, specNotes } from '../src/index.js';

const fp = 'cd'.repeat(16);

describe('buildSpec', () => {
  it('fills the defaults, in the spec file key order', () => {
    const s = buildSpec({ scheme: 'kgw' }, fp);
    expect(JSON.stringify(s)).toBe(
      JSON.stringify({ version: 1, tokenizer: 'o200k_base', scheme: { name: 'kgw', gamma: 0.25, delta: 2 }, context: { width: 1, mode: 'left' }, payload: null, keyFingerprint: fp }),
    );
    expect(buildSpec({ scheme: 'synthid' }, fp).scheme).toEqual({ name: 'synthid', layers: 30 });
    expect(buildSpec({ scheme: 'gumbel', id: 'g' }, fp)).toMatchObject({ id: 'g', scheme: { name: 'gumbel' } });
  });

  it('carries every choice through, and the result is a valid spec', () => {
    const s = buildSpec({ scheme: 'kgw', gamma: 0.2, delta: 0.5, width: 3, mode: 'min', payloadBits: 32, tokenizer: 'cl100k_base' }, fp);
    expect(s).toMatchObject({ tokenizer: 'cl100k_base', scheme: { gamma: 0.2, delta: 0.5 }, context: { width: 3, mode: 'min' }, payload: { bits: 32, digitBits: 2 } });
    expect(parseSpec(JSON.parse(JSON.stringify(s)))).toEqual(s);
    // digit bits only matter with a payload
    expect(buildSpec({ scheme: 'kgw', digitBits: 4 }, fp).payload).toBeNull();
  });

  it('refuses options the scheme does not take, unknown schemes and modes, and bad ranges', () => {
    const msg = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SpecError);
        return (e as Error).message;
      }
      throw new Error('did not throw');
    };
    expect(msg(() => buildSpec({ scheme: 'foo' }, fp))).toBe('--scheme must be one of kgw, gumbel, synthid, unigram (got "foo")');
    expect(msg(() => buildSpec({ scheme: 'gumbel', delta: 1 }, fp))).toBe('--gamma and --delta apply to kgw and unigram, not gumbel');
    expect(msg(() => buildSpec({ scheme: 'unigram', layers: 3 }, fp))).toBe('--layers applies to the synthid scheme only');
    expect(msg(() => buildSpec({ scheme: 'unigram', payloadBits: 32 }, fp))).toBe('--payload-bits applies to the kgw scheme only');
    expect(msg(() => buildSpec({ scheme: 'kgw', mode: 'right' }, fp))).toBe('--mode must be left, min or self (got "right")');
    expect(msg(() => buildSpec({ scheme: 'kgw', width: 9 }, fp))).toMatch(/context\.width/);
    expect(msg(() => buildSpec({ scheme: 'kgw', payloadBits: 32, digitBits: 4 }, fp))).toMatch(/gamma ≤ 0\.0625/);
  });

  it('schemeOptionsProblem looks only at which options are given', () => {
    expect(schemeOptionsProblem('kgw', { gamma: 'not parsed yet', payloadBits: '32' })).toBeUndefined();
    expect(schemeOptionsProblem('synthid', { layers: 'x' })).toBeUndefined();
    expect(schemeOptionsProblem('synthid', { gamma: '0.5' })).toMatch(/not synthid/);
    expect(contextModeOf('self')).toBe('self');
  });
});

describe('describeSpec and specNotes', () => {
  it('describes each scheme in one line', () => {
    expect(describeSpec(buildSpec({ scheme: 'kgw' }, fp))).toBe('kgw γ=0.25 δ=2, context h=1 (left), tokenizer o200k_base, zero-bit');
    expect(describeSpec(buildSpec({ scheme: 'synthid', layers: 12, width: 4, mode: 'min' }, fp))).toBe('synthid 12 layers, context h=4 (min), tokenizer o200k_base, zero-bit');
    expect(describeSpec(buildSpec({ scheme: 'unigram' }, fp))).toBe('unigram γ=0.25 δ=2, no context (one fixed list), tokenizer o200k_base, zero-bit');
    expect(describeSpec(buildSpec({ scheme: 'kgw', payloadBits: 32 }, fp))).toMatch(/, 32-bit payload \(2 bits\/digit\)$/);
  });

  it('advises against weak but valid settings, and says nothing about the defaults', () => {
    expect(specNotes(buildSpec({ scheme: 'kgw' }, fp))).toEqual([]);
    expect(specNotes(buildSpec({ scheme: 'gumbel', width: 4 }, fp))).toEqual([expect.stringMatching(/^context width 4 is far less radioactive/)]);
    expect(specNotes(buildSpec({ scheme: 'kgw', delta: 0.5 }, fp))).toEqual([expect.stringMatching(/^δ = 0\.5 is a weak bias/)]);
    // unigram has no context, so a wide context earns no note; the fixed list does
    expect(specNotes(buildSpec({ scheme: 'unigram', width: 5 }, fp))).toEqual([expect.stringMatching(/^unigram uses one fixed green list/)]);
    expect(specNotes(buildSpec({ scheme: 'kgw', payloadBits: 32 }, fp))).toEqual([expect.stringMatching(/^with a payload/)]);
  });
});
