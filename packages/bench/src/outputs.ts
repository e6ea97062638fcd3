/**
 * Where a benchmark run goes: results.json, report.md and the SVG charts in one
 * directory (each file written atomically), optionally a second Markdown report
 * elsewhere (docs/BENCHMARKS.md) whose chart links point back into that directory;
 * and the `tracemark bench` command line that reproduces a run, for the report.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { jsonReplacer, usage, writeFileAtomic } from '@tracemark/detector';
import { allCharts } from './charts.js';
import { renderMarkdown } from './report.js';
import type { BenchResults } from './types.js';

/** Write results.json, report.md and the charts to `out` (atomically, file by file); returns the paths written. */
export function writeBenchOutputs(r: BenchResults, out: string, markdown?: string, command?: string): string[] {
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw usage(`cannot create output directory ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const written: string[] = [];
  const put = (path: string, content: string): void => {
    writeFileAtomic(path, content);
    written.push(path);
  };
  put(join(out, 'results.json'), `${JSON.stringify(r, jsonReplacer, 2)}\n`);
  for (const [name, svg] of allCharts(r)) put(join(out, name), `${svg}\n`);
  put(join(out, 'report.md'), renderMarkdown(r, { ...(command ? { command } : {}) }));
  if (markdown) {
    let rel = relative(dirname(resolve(markdown)), resolve(out)).split(sep).join('/');
    if (rel !== '') rel += '/';
    put(markdown, renderMarkdown(r, { chartDir: rel, ...(command ? { command } : {}) }));
  }
  return written;
}

/** The flags of a run as given on the command line (strings, so the line reads as typed). */
export interface BenchCommandFlags {
  quick?: boolean;
  preset?: string;
  seed?: string;
  schemes?: string;
  lengths?: string;
  temperatures?: string;
  samples?: string;
  nullSamples?: string;
  fpr?: string;
  attacks?: string;
  attackLength?: string;
  attackTemperature?: string;
  copyPasteTokens?: string;
  paraphraseUrl?: string;
  paraphraseModel?: string;
  out?: string;
  markdown?: string;
}

/** The command line that reproduces a configuration (flags that differ from the defaults). */
export function benchCommandLine(f: BenchCommandFlags): string {
  const parts = ['tracemark bench'];
  const add = (flag: string, v: string | undefined): void => {
    if (v !== undefined) parts.push(`--${flag} ${/[\s,;]/.test(v) && v.includes(' ') ? JSON.stringify(v) : v}`);
  };
  if (f.quick) parts.push('--quick');
  add('preset', f.preset);
  add('seed', f.seed ?? '1');
  add('schemes', f.schemes);
  add('lengths', f.lengths);
  add('temperatures', f.temperatures);
  add('samples', f.samples);
  add('null-samples', f.nullSamples);
  add('fpr', f.fpr);
  add('attacks', f.attacks);
  add('attack-length', f.attackLength);
  add('attack-temperature', f.attackTemperature);
  add('copy-paste-tokens', f.copyPasteTokens);
  add('paraphrase-url', f.paraphraseUrl);
  add('paraphrase-model', f.paraphraseModel);
  add('out', f.out);
  add('markdown', f.markdown);
  return parts.join(' ');
}
