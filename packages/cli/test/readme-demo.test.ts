/**
 * The README's demo verdict table is the table of the recorded run it names
 * (docs/demo-run.json: `tracemark demo --json` of that run, machine paths left out), printed
 * by the demo's own verdictTable: the published numbers can be traced to their run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DemoOutputSchema, verdictTable } from '../src/index.js';
import { REPO_ROOT } from './helpers/cli.js';

describe('README demo table', () => {
  it('is docs/demo-run.json printed by verdictTable, and the run is a valid demo summary', () => {
    const run = DemoOutputSchema.omit({ out: true, bundle: true, report: true }).parse(JSON.parse(readFileSync(`${REPO_ROOT}docs/demo-run.json`, 'utf8')));
    const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
    const block = /<!-- demo-run:begin \(docs\/demo-run\.json\) -->\n```\n([\s\S]*?)\n```\n<!-- demo-run:end -->/.exec(readme);
    expect(block, 'README has the demo-run block').not.toBeNull();
    expect(block![1]).toBe(verdictTable(run.suspects));
    expect(run.suspects.map((s) => s.verdict)).toEqual(['detected', 'not-detected']);
  });
});
