/**
 * The package architecture, checked from the sources: every packages/<dir>/package.json
 * and every import in packages/<dir>/src.
 *
 *   layering     a package depends only on packages below it in LAYERS
 *                (watermark ← detector ← lm ← serve ← investigate ← evidence ← bench ← cli;
 *                corpora is data with no dependencies; scan-queue, the Node-only queue layer
 *                of corpus scans, sits just below cli), so the graph has no cycles;
 *   declared     every import of another package (workspace or third-party) from src is
 *                in that package's dependencies (devDependencies are not installed for users);
 *   boundaries   no relative import leaves its package;
 *   size         no src file over MAX_LINES, except the files listed in OVERSIZED.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGES = join(ROOT, 'packages');

/** Bottom to top: a package may depend on packages before it, never after. */
const LAYERS = ['watermark', 'corpora', 'detector', 'lm', 'serve', 'investigate', 'evidence', 'bench', 'scan-queue', 'cli'] as const;

const MAX_LINES = 400;
/**
 * Source files over MAX_LINES today, each being split by its own change; remove an
 * entry when its file shrinks (the test fails on a stale entry, so the list only shrinks).
 */
const OVERSIZED: Record<string, string> = {
  'packages/lm/src/kn/model.ts': 'Kneser–Ney model: training, cache format and queries in one file',
};

/**
 * src files allowed to import a devDependency: the tiny ONNX model writer is a test
 * fixture generator, exported only from the testing subpath (@tracemark/lm/testing),
 * that imports onnx-proto dynamically when called. Stale entries fail the test.
 */
const DEV_IMPORTS: Record<string, string> = {
  'packages/lm/src/testing/write-tiny-model.ts': 'onnx-proto',
};

interface Pkg {
  dir: string;
  name: string;
  deps: Set<string>;
  devDeps: Set<string>;
  files: string[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const packages: Pkg[] = readdirSync(PACKAGES)
  .filter((d) => statSync(join(PACKAGES, d, 'package.json'), { throwIfNoEntry: false })?.isFile())
  .map((dir) => {
    const j = JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
    const keys = (k: string): Set<string> => new Set(Object.keys((j[k] as Record<string, string> | undefined) ?? {}));
    return {
      dir,
      name: j.name as string,
      deps: new Set([...keys('dependencies'), ...keys('peerDependencies'), ...keys('optionalDependencies')]),
      devDeps: keys('devDependencies'),
      files: walk(join(PACKAGES, dir, 'src')),
    };
  });
const byName = new Map(packages.map((p) => [p.name, p]));
const rel = (p: string): string => relative(ROOT, p).split(sep).join('/');

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic imports. */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s+(?:type\s+)?[^'"`;]*?\sfrom\s+['"]([^'"]+)['"]/gm,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The package a bare specifier names: '@scope/name' or 'name'. */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(packageOf(spec));

const imports = packages.flatMap((p) =>
  p.files.flatMap((file) => importsOf(readFileSync(file, 'utf8')).map((spec) => ({ pkg: p, file, spec }))),
);

describe('package architecture', () => {
  it('finds every package and its imports', () => {
    expect(packages.map((p) => p.dir).sort()).toEqual([...LAYERS].sort());
    expect(imports.filter((i) => i.spec.startsWith('@tracemark/')).length).toBeGreaterThan(100);
  });

  it('layering: each package depends only on packages below it (so the graph has no cycles)', () => {
    const bad: string[] = [];
    for (const p of packages) {
      const rank = LAYERS.indexOf(p.dir as (typeof LAYERS)[number]);
      for (const d of [...p.deps, ...p.devDeps].filter((d) => d.startsWith('@tracemark/'))) {
        const q = byName.get(d);
        if (!q) bad.push(`${p.name} depends on unknown ${d}`);
        else if (LAYERS.indexOf(q.dir as (typeof LAYERS)[number]) >= rank) bad.push(`${p.name} → ${d} (not below it)`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no import cycle between packages', () => {
    const edges = new Map(packages.map((p) => [p.name, new Set<string>()]));
    for (const i of imports) if (i.spec.startsWith('@tracemark/')) edges.get(i.pkg.name)!.add(packageOf(i.spec));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (n: string, path: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'open') {
        cycles.push([...path.slice(path.indexOf(n)), n].join(' → '));
        return;
      }
      state.set(n, 'open');
      for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, 'done');
    };
    for (const n of edges.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });

  it('every package a src file imports is declared in its package.json dependencies', () => {
    const bad = new Set<string>();
    const devUsed = new Set<string>();
    for (const { pkg, file, spec } of imports) {
      if (spec.startsWith('.') || isBuiltin(spec)) continue;
      const dep = packageOf(spec);
      if (dep === pkg.name) bad.add(`${rel(file)}: imports its own package by name (${spec})`);
      else if (DEV_IMPORTS[rel(file)] === dep && pkg.devDeps.has(dep)) devUsed.add(rel(file));
      else if (!pkg.deps.has(dep)) bad.add(`${rel(file)}: ${dep} is not in ${pkg.name}'s dependencies`);
    }
    expect([...bad]).toEqual([]);
    expect(Object.keys(DEV_IMPORTS).filter((f) => !devUsed.has(f))).toEqual([]);
  });

  it('no relative import crosses a package boundary', () => {
    const bad: string[] = [];
    for (const { pkg, file, spec } of imports) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(join(PACKAGES, pkg.dir) + sep)) bad.push(`${rel(file)}: ${spec}`);
    }
    expect(bad).toEqual([]);
  });

  it(`no src file over ${MAX_LINES} lines except the listed ones (and none listed that is not)`, () => {
    const over = packages
      .flatMap((p) => p.files)
      .map((f) => ({ file: rel(f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES);
    expect(over.filter((f) => !(f.file in OVERSIZED))).toEqual([]);
    const stale = Object.keys(OVERSIZED).filter((f) => !over.some((o) => o.file === f));
    expect(stale).toEqual([]);
  });
});
