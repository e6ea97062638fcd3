/**
 * What `detect` and `attribute leaks` print about a payload (account id) spec. On text
 * without the watermark the best-matching id is arbitrary: detect names no id unless the
 * payload test is significant, and its z is centred on 0 (it used to say "payload id …"
 * with z ≈ 2–5 on human text); attribute leaks says why nobody is named.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { payloadLine } from '../src/commands/detect.js';
import { whyNotNamed } from '../src/commands/attribute.js';
import { runInProcess } from './helpers/cli.js';
import { makeFixture } from './helpers/fixtures.js';

const fx = makeFixture({ seed: 'payload-output', payload: { bits: 16, digitBits: 2 } });
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

const human = [
  'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items, although the question of',
  'the new library wing was left for a later meeting because two members were away. Rain fell steadily through the night, and by',
  'morning the river had risen above its banks; the farmers in the valley moved their cattle to higher ground before noon.',
].join(' ');

describe('payload lines', () => {
  it('names no id unless the payload test is significant', () => {
    const p = { message: '7704', messageHex: '0x1e18', pValue: '0.55', matched: 40, scored: 120 };
    expect(payloadLine(p, false)).toBe('payload: no id decoded (p = 0.55 that the text carries any id)');
    const sig = payloadLine({ ...p, pValue: '3.1e-12' }, true);
    expect(sig).toMatch(/^payload: the text carries an id \(p = 3\.1e-12, over all ids\); best match 7704 \(0x1e18\), 40 of 120 tokens agree\./);
    expect(sig).toMatch(/attribute leaks$/);
  });

  it('detect on human text: no id printed, z not inflated by the best-of-all-ids choice', async () => {
    const r = await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, human]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/payload: no id decoded \(p = [^)]+ that the text carries any id\)/);
    expect(r.stdout).not.toMatch(/payload id/);
    const z = Number(/z = (-?\d+\.\d+)/.exec(r.stdout)![1]);
    expect(z).toBeLessThan(2.5);
    const j = JSON.parse((await runInProcess(['detect', '--spec', fx.specPath, '--key', fx.keyPath, '--json', human])).stdout);
    const t = j.results[0];
    expect(t.expected).toBeGreaterThan(0.25 * t.scored); // E[M] for the best id, not γ·n
  });

  it('attribute leaks: named: none comes with the digit that decides, and what more text would do', async () => {
    expect(whyNotNamed({ position: 3, tuples: 9, agreeing: 2, lnP: -0.1, moreTuples: null })).toMatch(/no more often than chance, so more text like this will not name anyone$/);
    expect(whyNotNamed({ position: 3, tuples: 9, agreeing: 7, lnP: -6, moreTuples: 1234 })).toMatch(/^digit 3: 7 of 9 tuples agree \(p = .*\); at these rates about 1,234 more scored tuples would name it$/);
    const p = join(fx.dir, 'leaks.jsonl');
    writeFileSync(p, JSON.stringify({ id: 'leak-1', text: human }) + '\n');
    const r = await runInProcess(['attribute', 'leaks', '--spec', fx.specPath, '--key', fx.keyPath, '--jsonl', p, '--candidates', 'acct-17=17,acct-23=23']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^named: none$/m);
    expect(r.stdout).toMatch(/the weakest digit decides:\n  leak-1: digit \d+: \d+ of \d+ tuples agree/);
  });
});
