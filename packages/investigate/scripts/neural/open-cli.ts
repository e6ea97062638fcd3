/**
 * The open-model test of one neural student through the command line, as an investigator runs
 * it: `tracemark radioactivity --model <student dir> --served <texts> --prompts <fresh prompts>
 * --json` with our spec and key as files. The student's tokenizer is `hf:<dir>`, the spec's
 * o200k_base; the command accepts it because its tokenizer.json is o200k_base id for id
 * (lm's hfMatchesTiktoken). Differences from open-test.ts (the library call the sweep uses,
 * cheaper per reading on these shared cores): the served texts are re-encoded from their text
 * (the ids can differ where the teacher's ids are not tiktoken's own split), the unsupervised
 * texts are the command's own fresh answers to the same fresh prompts, the decoys come from a
 * fixed public decoy seed, and the suspect's full distribution is listed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { shuffled } from '@tracemark/lm';
import { exportKeyFile } from '@tracemark/watermark';
import { runCli } from './cli.js';
import { DECOYS, KEY, SIZES, SPEC, WORK, type Cell } from './setup.js';

const DECOY_SEED = '6e657572616c2d73747564656e74732f6f70656e2d636c692f6465636f797321'; // "neural-students/open-cli/decoys!"

export interface OpenCliCell {
  variant: 'supervised' | 'unsupervised';
  texts: number;
  windows: number;
  greenMass: number;
  nullMean: number;
  log10P: number;
  decoysMinLog10P: number | null;
  decoysSignificant: number;
  seconds: number;
}

interface CliVariant {
  variant: 'supervised' | 'unsupervised';
  texts: number;
  test: { windows: number; log10P: number; greenMass: { mean: number; nullMean: number } };
  decoys: { minLog10P?: number | null; significant: number };
}

export async function openModelCli(cell: Cell & { served: number[] }): Promise<OpenCliCell[]> {
  const cwd = `${WORK}open-cli/${cell.name}/`;
  mkdirSync(cwd, { recursive: true });
  const harvest = JSON.parse(readFileSync(`${WORK}harvest.json`, 'utf8')) as { watermarked: { id: string; prompt: string; text: string }[] };
  const prompts = (JSON.parse(readFileSync(`${WORK}prompts.json`, 'utf8')) as { fresh: string[] }).fresh;
  // the same served texts as open-test.ts picks
  const pool = cell.served.length ? cell.served : harvest.watermarked.map((_, i) => i);
  const pick = shuffled(pool.length, 77 + cell.seed).slice(0, SIZES.supervisedTexts).map((i) => pool[i]!);
  writeFileSync(`${cwd}served.jsonl`, pick.map((i) => { const h = harvest.watermarked[i]!; return `${JSON.stringify({ id: h.id, prompt: h.prompt, text: h.text })}\n`; }).join(''));
  writeFileSync(`${cwd}fresh-prompts.jsonl`, prompts.map((p, i) => `${JSON.stringify({ id: `f${i}`, prompt: p })}\n`).join(''));
  writeFileSync(`${cwd}spec.json`, `${JSON.stringify(SPEC)}\n`);
  writeFileSync(`${cwd}key.json`, `${JSON.stringify(exportKeyFile(KEY))}\n`, { mode: 0o600 });
  const args = ['radioactivity', '--spec', 'spec.json', '--key', 'key.json', '--model', `${WORK}students/${cell.name}`, '--served', 'served.jsonl', '--prompts', 'fresh-prompts.jsonl', '--teacher-max-tokens', String(SIZES.answerTokens), '--decoys', String(DECOYS.length), '--decoy-seed', DECOY_SEED, '--json'];
  const t0 = performance.now();
  const out = await runCli(args, cwd);
  const seconds = Math.round((performance.now() - t0) / 1000);
  const r = JSON.parse(out) as { variants: CliVariant[] };
  return r.variants.map((v) => ({
    variant: v.variant,
    texts: v.texts,
    windows: v.test.windows,
    greenMass: v.test.greenMass.mean,
    nullMean: v.test.greenMass.nullMean,
    log10P: v.test.log10P,
    decoysMinLog10P: v.decoys.minLog10P ?? null,
    decoysSignificant: v.decoys.significant,
    seconds,
  }));
}
