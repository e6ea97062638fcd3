/**
 * Start a worker thread on a module that may be TypeScript.
 *
 * From built JS the module runs as is. From TypeScript sources (tests and
 * `--conditions=source --import tsx` scripts) the worker must load tsx itself:
 * Node 20 workers do not inherit the parent's loader hooks. A two-line data:
 * URL module registers tsx and then imports the real entry, and the worker gets
 * `--conditions=source` so @tracemark/* packages resolve to their sources too.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `resourceLimits`: bounds on the worker's V8 heap (the out-of-core scan keeps its threads within a memory budget). */
export function startWorker(entry: URL, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const limits = resourceLimits ? { resourceLimits } : {};
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData, ...limits });
  const code = `import { register } from ${JSON.stringify(tsxApi())};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  // profiling flags carry over, so `node --cpu-prof` also profiles the workers
  const profiling = process.execArgv.filter((a) => /^--(cpu|heap)-prof/.test(a));
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
    workerData,
    ...limits,
    execArgv: ['--conditions=source', ...profiling],
  });
}

let api: string | undefined;

function tsxApi(): string {
  if (api) return api;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    // no import.meta.resolve (e.g. under vitest): find the ESM entry from tsx's package.json
    const req = createRequire(import.meta.url);
    const pkgPath = req.resolve('tsx/package.json');
    const pkg = req(pkgPath) as { exports: Record<string, { import: { default: string } }> };
    api = pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
  }
  return api;
}

/** Is this module running from TypeScript sources? */
export function runningFromSources(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.ts');
}
