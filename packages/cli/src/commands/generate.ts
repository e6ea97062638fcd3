/**
 * `tracemark generate`: watermarked (or, with --plain, unwatermarked) text from a model:
 * the built-in Kneser–Ney reference model or a local ONNX model directory.
 * Prompts come from arguments or a JSONL file ({"id"?, "prompt"}). Deterministic in --seed.
 * Loading the model and the generation loop are generateTexts (@tracemark/lm).
 */
import { generateTexts } from '@tracemark/lm';
import { Embedder, Watermark, type WatermarkSpec } from '@tracemark/watermark';
import type { Command } from 'commander';
import { intFlag, numFlag } from '../io/args.js';
import { usage, exists, readJsonlTexts, writeFileAtomic, loadKey, loadSpec } from '@tracemark/detector';
import { printJson, println, progress } from '../io/output.js';
import type { GenerateOutput } from '../schemas.js';

export interface GenerateFlags {
  spec?: string;
  key?: string;
  plain?: boolean;
  model: string;
  prompts?: string;
  field: string;
  maxTokens: string;
  temperature?: string;
  topP?: string;
  topK?: string;
  seed: string;
  accountId?: string;
  tokenizer?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export async function runGenerate(args: string[], f: GenerateFlags): Promise<GenerateOutput> {
  const maxTokens = intFlag('max-tokens', f.maxTokens, 0, 1 << 20);
  const temperature = numFlag('temperature', f.temperature, (n) => n >= 0.05 && n <= 20, 'a number in [0.05, 20]', 1);
  const topP = numFlag('top-p', f.topP, (n) => n > 0 && n <= 1, 'a number in (0, 1]', 1);
  const topK = intFlag('top-k', f.topK, 0, 1 << 24, 0);
  const seed = intFlag('seed', f.seed, 0, Number.MAX_SAFE_INTEGER);
  let spec: WatermarkSpec | undefined;
  let wm: Watermark | undefined;
  if (f.plain) {
    if (f.accountId !== undefined) throw usage('--account-id needs a watermark (drop --plain)');
    if (f.spec !== undefined) spec = loadSpec(f.spec);
  } else {
    if (f.spec === undefined || f.key === undefined) throw usage('watermarked generation needs --spec and --key (or pass --plain)');
    spec = loadSpec(f.spec);
    wm = new Watermark(spec, loadKey(f.key, spec));
  }
  let message: bigint | undefined;
  if (wm?.spec.payload) {
    if (f.accountId === undefined) throw usage(`the spec carries a ${wm.spec.payload.bits}-bit payload: pass --account-id`);
    if (!/^\d+$/.test(f.accountId)) throw usage(`--account-id must be a non-negative integer (got ${JSON.stringify(f.accountId)})`);
    message = BigInt(f.accountId);
    if (message >= 1n << BigInt(wm.spec.payload.bits)) throw usage(`--account-id must be < 2^${wm.spec.payload.bits}`);
  } else if (f.accountId !== undefined) {
    throw usage('--account-id needs a spec with a payload (spec init --payload-bits)');
  }
  const prompts: { id: string; prompt: string }[] = args.map((p, i) => ({ id: `arg-${i + 1}`, prompt: p }));
  if (f.prompts !== undefined) {
    for (const r of readJsonlTexts(f.prompts, f.field, 'prompts file')) prompts.push({ id: r.id ?? `line-${r.line}`, prompt: r.text });
  }
  if (prompts.length === 0) throw usage('no prompts: give prompts as arguments or --prompts file.jsonl');
  if (f.out !== undefined && exists(f.out) && !f.force) throw usage(`refusing to overwrite existing file ${f.out} (pass --force)`);

  const bar = progress('generate');
  let batch;
  try {
    batch = await generateTexts({
      model: f.model,
      tokenizer: spec?.tokenizer ?? f.tokenizer ?? 'o200k_base',
      ...(wm ? { watermark: new Embedder(wm, message !== undefined ? { message } : {}) } : {}),
      prompts,
      sampling: { maxTokens, temperature, topP, topK, seed },
      onProgress: (done, total) => bar.update(done, total),
    });
  } finally {
    bar.done();
  }
  const { results } = batch;
  if (f.out !== undefined) {
    writeFileAtomic(f.out, results.map((r) => JSON.stringify({ id: r.id, prompt: r.prompt, text: r.text })).join('\n') + '\n');
  }
  return {
    command: 'generate',
    model: batch.model,
    watermarked: wm !== undefined,
    keyFingerprint: wm ? wm.spec.keyFingerprint : null,
    ...(message !== undefined ? { accountId: message.toString() } : {}),
    sampling: { maxTokens, temperature, topP, topK, seed },
    ...(f.out !== undefined ? { out: f.out } : {}),
    results,
  };
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate watermarked (or --plain) text from the built-in model or a local ONNX model')
    .argument('[prompt...]', 'prompts (or --prompts file.jsonl)')
    .option('--spec <file>', 'watermark spec (JSON)')
    .option('--key <file>', 'watermark key file (must match the spec)')
    .option('--plain', 'no watermark')
    .option('--model <builtin|dir>', 'the built-in reference model, or a local ONNX model directory', 'builtin')
    .option('--prompts <file>', 'JSONL prompts: {"id"?: …, "prompt": …} per line')
    .option('--field <name>', 'JSONL field holding the prompt', 'prompt')
    .option('--max-tokens <n>', 'tokens to generate per prompt', '100')
    .option('--temperature <t>', 'sampling temperature (default 1)')
    .option('--top-p <p>', 'nucleus sampling mass (default 1 = off)')
    .option('--top-k <k>', 'keep the k most likely tokens (default 0 = off)')
    .option('--seed <n>', 'sampling seed (prompt i uses "<seed>:<i>")', '0')
    .option('--account-id <n>', 'payload to embed (specs with a payload)')
    .option('--tokenizer <name>', 'with --plain and no --spec: the tiktoken encoding', 'o200k_base')
    .option('--out <file>', 'also write {"id","prompt","text"} JSONL here (atomically)')
    .option('--force', 'overwrite --out')
    .option('--json', 'machine-readable output')
    .action(async (prompts: string[], f: GenerateFlags) => {
      const r = await runGenerate(prompts, f);
      if (f.json) return printJson(r);
      for (const x of r.results) println(`[${x.id}] ${x.prompt}${x.text}`);
      if (r.out !== undefined) println(`wrote ${r.results.length} texts to ${r.out}`);
    });
}
