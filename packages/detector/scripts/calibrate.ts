/**
 * Null calibration at scale (≥ 10^6 tests): p-values of human text (the
 * corpora package's calibration split) under one fresh random key per test,
 * for every scheme, spread over worker threads.
 *
 *   pnpm calibrate                 full run, prints the table
 *   pnpm calibrate -- --write      … and writes docs/CALIBRATION.md (atomically)
 *   pnpm calibrate -- --quick      1/20 of the tests (a smoke run)
 *   pnpm calibrate -- --from docs/calibration-results.json --write
 *                                  re-render docs/CALIBRATION.md from recorded results (no run)
 *   options: --workers N (default: available cores), --seed S
 *
 * What is checked (see src/calibration.ts):
 *   - randomized p-values P(S > s) + U·P(S = s) are U(0, 1): KS test, and the
 *     rejection rate at each α is consistent with α (α inside the 99% Clopper–
 *     Pearson interval);
 *   - the detector's own p-values P(S ≥ s) are valid: rejection rate not
 *     significantly above α (CP lower bound ≤ α). For discrete tests they are
 *     conservative, so their rate sits below α.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { corpusFingerprint, humanText } from '@tracemark/corpora';
import { nullTests, summarizeNull, type CalibrationSpec } from '../src/calibration.js';
import { startWorker, Tokenizer, writeFileAtomic } from '../src/index.js';
import { renderCalibrationDoc, renderTable, structuredText, TEXT_FORMS, type CalibrationResults, type CalibrationRow } from './calibration-doc.js';

interface Config {
  name: string;
  spec: CalibrationSpec;
  tests: number;
  alphas: number[];
  texts?: 'plain' | 'structured';
}

const CONFIGS: Config[] = [
  { name: 'KGW γ=0.25, h=1 left', spec: { scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 1, mode: 'left' } }, tests: 1_000_000, alphas: [1e-2, 1e-3, 1e-4, 1e-5] },
  { name: 'KGW γ=0.25, h=4 self', spec: { scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 4, mode: 'self' } }, tests: 200_000, alphas: [1e-2, 1e-3, 1e-4] },
  { name: 'Gumbel, h=2 left', spec: { scheme: { name: 'gumbel' }, context: { width: 2, mode: 'left' } }, tests: 200_000, alphas: [1e-2, 1e-3, 1e-4] },
  { name: 'SynthID m=30, h=2 min', spec: { scheme: { name: 'synthid', layers: 30 }, context: { width: 2, mode: 'min' } }, tests: 200_000, alphas: [1e-2, 1e-3, 1e-4] },
  { name: 'Unigram γ=0.5', spec: { scheme: { name: 'unigram', gamma: 0.5 } }, tests: 200_000, alphas: [1e-2, 1e-3, 1e-4] },
  {
    name: 'KGW payload 16 bits (all ids)',
    spec: { scheme: { name: 'kgw', gamma: 0.25 }, context: { width: 2, mode: 'left' }, payload: { bits: 16, digitBits: 2 } },
    tests: 1_000_000,
    alphas: [1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
    texts: 'structured',
  },
];
const CHUNK = 20_000;
const LEVEL = 0.99;

interface Job {
  config: number;
  start: number;
  count: number;
}
interface JobResult extends Job {
  lnP: Float64Array;
  lnPRand: Float64Array;
  randomized: Uint8Array;
}

/** The calibration documents, plain or in the four structural forms in turn (document i div 4, form i mod 4). */
function loadDocs(texts: 'plain' | 'structured'): Uint32Array[] {
  const tk = new Tokenizer('o200k_base');
  const plain = humanText({ split: 'calibration' }).map((d) => d.text);
  const all = texts === 'plain' ? plain : plain.flatMap((t) => TEXT_FORMS.map((f) => structuredText(t, f)));
  const docs = all.map((t) => tk.encode(t).tokens);
  tk.dispose();
  return docs;
}

// ---- worker: run jobs as they come -------------------------------------------------
if (!isMainThread && (workerData as { calibrate?: boolean })?.calibrate) {
  const { seed } = workerData as { seed: string };
  const docs = { plain: loadDocs('plain'), structured: loadDocs('structured') };
  const port = parentPort!;
  port.on('message', (job: Job | null) => {
    if (job === null) {
      port.close();
      return;
    }
    const c = CONFIGS[job.config]!;
    const r = nullTests(c.spec, docs[c.texts ?? 'plain'], { start: job.start, count: job.count, seed: `${seed}:${job.config}` });
    const msg: JobResult = { ...job, lnP: r.lnP, lnPRand: r.lnPRand, randomized: r.randomized };
    port.postMessage(msg, [r.lnP.buffer as ArrayBuffer, r.lnPRand.buffer as ArrayBuffer, r.randomized.buffer as ArrayBuffer]);
  });
  port.postMessage('ready');
}

// ---- main -------------------------------------------------------------------------
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = args.includes('--quick');
  const write = args.includes('--write');
  const docPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/CALIBRATION.md');
  const resultsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/calibration-results.json');
  const from = opt('--from');
  if (from) {
    const recorded = JSON.parse(readFileSync(from, 'utf8')) as CalibrationResults;
    console.log(renderTable(recorded.rows));
    if (write) {
      await writeFileAtomic(docPath, renderCalibrationDoc(recorded));
      console.log(`wrote ${docPath}`);
    }
    return;
  }
  const seed = opt('--seed') ?? 'tracemark/calibration/v1';
  const workers = Number(opt('--workers') ?? Math.max(1, availableParallelism()));
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');
  const configs = CONFIGS.map((c) => ({ ...c, tests: quick ? Math.ceil(c.tests / 20) : c.tests }));

  const jobs: Job[] = [];
  configs.forEach((c, config) => {
    for (let start = 0; start < c.tests; start += CHUNK) jobs.push({ config, start, count: Math.min(CHUNK, c.tests - start) });
  });
  const lnP = configs.map((c) => new Float64Array(c.tests));
  const lnPRand = configs.map((c) => new Float64Array(c.tests));
  const randomized = configs.map((c) => new Uint8Array(c.tests));
  const total = configs.reduce((a, c) => a + c.tests, 0);
  console.log(`calibration: ${total.toLocaleString('en')} tests, ${workers} workers, seed "${seed}"`);
  const t0 = performance.now();

  let next = 0, done = 0;
  await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<void>((resolve, reject) => {
        const w = startWorker(new URL(import.meta.url), { calibrate: true, seed });
        const feed = (): void => {
          const job = jobs[next++];
          w.postMessage(job ?? null);
          if (!job) resolve();
        };
        w.on('message', (m: 'ready' | JobResult) => {
          if (m !== 'ready') {
            lnP[m.config]!.set(m.lnP, m.start);
            lnPRand[m.config]!.set(m.lnPRand, m.start);
            randomized[m.config]!.set(m.randomized, m.start);
            done += m.count;
            process.stdout.write(`\r  ${((100 * done) / total).toFixed(0)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
          }
          feed();
        });
        w.on('error', reject);
        w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with code ${code}`))));
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write('\n');

  const rows: CalibrationRow[] = configs.map((c, i) => {
    const payload = c.spec.payload != null;
    // payload: the randomized p where it is exact (a function of the per-digit counts n_b,
    // which do not depend on the colours, so selecting on it keeps the null distribution)
    const exact = payload ? lnPRand[i]!.filter((_, k) => randomized[i]![k] === 1) : lnPRand[i]!;
    return {
      name: c.name,
      tests: c.tests,
      alphas: c.alphas,
      payload,
      texts: c.texts ?? 'plain',
      own: summarizeNull(lnP[i]!, c.alphas, LEVEL),
      rand: summarizeNull(exact, c.alphas, LEVEL),
      ...(payload ? { randomizedExact: exact.length } : {}),
    };
  });
  const results: CalibrationResults = {
    seed,
    workers,
    seconds,
    total,
    documents: humanText({ split: 'calibration' }).length,
    corpusFingerprint: corpusFingerprint(),
    rows,
  };
  console.log(renderTable(rows));
  console.log(`${total.toLocaleString('en')} tests in ${seconds.toFixed(0)} s`);
  if (write) {
    await writeFileAtomic(resultsPath, `${JSON.stringify(results, null, 1)}\n`);
    await writeFileAtomic(docPath, renderCalibrationDoc(results));
    console.log(`wrote ${docPath} and ${resultsPath}`);
  }
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(`calibrate: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
