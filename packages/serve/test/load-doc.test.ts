/**
 * docs/SERVE.md §7's load table is the committed runs rendered (docs/serve-load/*.json,
 * `load-serve.ts --json` of each run): every number can be traced to its run, and every
 * run kept the ledger complete with no failed request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOAD_BEGIN, LOAD_END, renderLoadTable, type LoadSummary } from '../scripts/load-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ORDER = ['chat-20s', 'completions-sse-20s', 'chat-60s'];

describe('docs/SERVE.md load table', () => {
  it('is the committed runs rendered, and each run is clean', () => {
    expect(readdirSync(`${ROOT}docs/serve-load`).sort()).toEqual(ORDER.map((n) => `${n}.json`).sort());
    const runs = ORDER.map((n) => JSON.parse(readFileSync(`${ROOT}docs/serve-load/${n}.json`, 'utf8')) as LoadSummary);
    const doc = readFileSync(`${ROOT}docs/SERVE.md`, 'utf8');
    const a = doc.indexOf(LOAD_BEGIN) + LOAD_BEGIN.length, b = doc.indexOf(LOAD_END);
    expect(doc.slice(a, b)).toBe(`\n${renderLoadTable(runs)}\n`);
    for (const r of runs) {
      expect(r.ledgerCoversAcknowledged).toBe(true);
      expect(r.errors + r.timeouts + r.non2xx).toBe(0);
    }
  });
});
