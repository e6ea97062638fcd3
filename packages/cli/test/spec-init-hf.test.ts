/**
 * spec init with an hf:<directory> tokenizer that is not here: the spec is still written
 * (it may name a model directory of the serving machine), with one warning line saying
 * which directory is missing; a directory with tokenizer.json gives no warning.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportKeyFile, generateKey } from '@tracemark/watermark';
import { writeFileSync } from 'node:fs';
import { runInProcess } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-spec-hf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyPath = join(dir, 'key.json');
writeFileSync(keyPath, JSON.stringify(exportKeyFile(generateKey())), { mode: 0o600 });

describe('spec init --tokenizer hf:<dir>', () => {
  it('warns in one line when the directory has no tokenizer.json, and writes the spec', async () => {
    const missing = join(dir, 'no-model');
    const out = join(dir, 'spec.json');
    const r = await runInProcess(['spec', 'init', '--key', keyPath, '--tokenizer', `hf:${missing}`, '--out', out]);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tracemark: warning: hf:.*no-model: no tokenizer\.json in .*no-model; the spec is written/);
  });
  it('says nothing for a tiktoken encoding', async () => {
    mkdirSync(join(dir, 'm'), { recursive: true });
    const r = await runInProcess(['spec', 'init', '--key', keyPath, '--out', join(dir, 'spec2.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
