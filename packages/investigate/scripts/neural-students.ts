/**
 * Driver of the neural-student experiment (docs/RADIOACTIVITY.md §4d; how to run it:
 * experiments/neural-students/README.md). Stages:
 *
 *   node --conditions=source --import tsx packages/investigate/scripts/neural/prepare.ts      harvest + training mixes
 *   /usr/bin/python3 experiments/neural-students/train.py <cell>                              one student → ONNX
 *   node --conditions=source --import tsx packages/investigate/scripts/neural-students.ts open <cell>
 *   node --conditions=source --import tsx packages/investigate/scripts/neural-students.ts open-cli <cell>     the same through `tracemark radioactivity --model`
 *   node --conditions=source --import tsx packages/investigate/scripts/neural-students.ts closed <cell> [--queries 100,300] [--max-tokens 60]
 *   node --conditions=source --import tsx packages/investigate/scripts/neural-students.ts [--write]
 *
 * `open` and `closed` add their results to experiments/neural-students/work/results/<cell>.json;
 * the last form gathers every student's metrics and results into docs/neural-students-results.json
 * and (with --write) the generated section of docs/RADIOACTIVITY.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { closedModelTests } from './neural/closed-test.js';
import { openModelCli } from './neural/open-cli.js';
import { openModelTests } from './neural/open-test.js';
import { NEURAL_BEGIN, NEURAL_END, renderNeural, type NeuralResults, type NeuralStudent } from './neural/results-doc.js';
import { CELLS, DECOYS, ROOT, SIZES, SPEC_LABEL, WORK, type Cell } from './neural/setup.js';

const [cmd, name] = process.argv.slice(2);
const flag = (f: string, d: string): string => {
  const i = process.argv.indexOf(f);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : d;
};

function fail(msg: string): never {
  process.stderr.write(`neural-students: ${msg}\n`);
  process.exit(2);
}

function cellByName(n: string | undefined): Cell & { served: number[] } {
  const c = CELLS.find((x) => x.name === n) ?? fail(`unknown cell ${JSON.stringify(n)}; cells: ${CELLS.map((x) => x.name).join(', ')}`);
  const file = `${WORK}cells/${c.name}.json`;
  if (!existsSync(file)) fail(`${file} not found: run neural/prepare.ts first`);
  if (!existsSync(`${WORK}students/${c.name}/onnx/model.onnx`)) fail(`no student ${c.name}: run experiments/neural-students/train.py ${c.name} first`);
  const { served } = JSON.parse(readFileSync(file, 'utf8')) as { served: number[] };
  return { ...c, served };
}

const resultFile = (n: string): string => `${WORK}results/${n}.json`;
function addResults(n: string, part: Partial<NeuralStudent>): void {
  mkdirSync(`${WORK}results`, { recursive: true });
  const old = existsSync(resultFile(n)) ? (JSON.parse(readFileSync(resultFile(n), 'utf8')) as Partial<NeuralStudent>) : {};
  writeFileSync(resultFile(n), `${JSON.stringify({ ...old, ...part }, null, 1)}\n`);
}

if (cmd === 'open') {
  const c = cellByName(name);
  addResults(c.name, { open: await openModelTests(c) });
} else if (cmd === 'open-cli') {
  const c = cellByName(name);
  addResults(c.name, { openCli: await openModelCli(c) });
} else if (cmd === 'closed') {
  const c = cellByName(name);
  const queries = flag('--queries', '100,300').split(',').map(Number);
  const maxTokens = Number(flag('--max-tokens', '60'));
  if (queries.some((q) => !Number.isInteger(q) || q < 1) || !Number.isInteger(maxTokens) || maxTokens < 1) fail('--queries takes integers ≥ 1 (comma-separated), --max-tokens an integer ≥ 1');
  const old = existsSync(resultFile(c.name)) ? ((JSON.parse(readFileSync(resultFile(c.name), 'utf8')) as Partial<NeuralStudent>).closed ?? []) : [];
  const fresh = await closedModelTests(c, queries, maxTokens);
  // a rerun at more queries replaces the rows of the query counts it ran
  addResults(c.name, { closed: [...old.filter((r) => !queries.includes(r.queries)), ...fresh].sort((a, b) => a.queries - b.queries) });
} else if (cmd === undefined || cmd === '--write') {
  const students: NeuralStudent[] = [];
  for (const c of CELLS) {
    const m = `${WORK}students/${c.name}/metrics.json`;
    if (!existsSync(m)) continue;
    const r = existsSync(resultFile(c.name)) ? (JSON.parse(readFileSync(resultFile(c.name), 'utf8')) as Partial<NeuralStudent>) : {};
    students.push({ ...c, metrics: JSON.parse(readFileSync(m, 'utf8')) as NeuralStudent['metrics'], open: r.open ?? [], ...(r.openCli ? { openCli: r.openCli } : {}), closed: r.closed ?? [] });
  }
  const check = JSON.parse(readFileSync(`${WORK}tokenizer-check.json`, 'utf8')) as NeuralResults['tokenizerCheck'];
  const results: NeuralResults = { spec: SPEC_LABEL, sizes: { ...SIZES }, decoys: DECOYS.length, tokenizerCheck: check, students };
  const doc = renderNeural(results);
  process.stdout.write(`${doc}\n`);
  if (process.argv.includes('--write')) {
    writeFileSync(`${ROOT}docs/neural-students-results.json`, `${JSON.stringify(results, null, 1)}\n`);
    const page = readFileSync(`${ROOT}docs/RADIOACTIVITY.md`, 'utf8');
    const a = page.indexOf(NEURAL_BEGIN), b = page.indexOf(NEURAL_END);
    if (a < 0 || b < a) fail('docs/RADIOACTIVITY.md has no neural markers');
    writeFileSync(`${ROOT}docs/RADIOACTIVITY.md`, `${page.slice(0, a + NEURAL_BEGIN.length)}\n${doc}\n${page.slice(b)}`);
    process.stderr.write('wrote docs/neural-students-results.json and docs/RADIOACTIVITY.md\n');
  }
} else {
  fail(`unknown command ${JSON.stringify(cmd)}: open <cell> | open-cli <cell> | closed <cell> | --write`);
}
