/**
 * The closed-model sampled test on one neural student, reached as a real suspect endpoint:
 * `tracemark serve --model <student dir>` (the cloner's own spec and a fresh key of theirs,
 * KGW δ = 0.001: tracemark serve always embeds, and at δ = 0.001 the sampling is the
 * student's own distribution to within 0.1 %, independent of our key), `tracemark probe`
 * over HTTP with probe prompts disjoint from the harvest prompts, then the radioactivity test
 * (`investigateRadioactivity`, what `tracemark radioactivity` runs) on the first q answers of
 * the transcript for each q, with our spec and key, decoy keys, the unfiltered, supervised
 * (servedFilter: the windows of the answers the cell took, what the ledger holds for the
 * cloner's accounts) and unsupervised (fresh builtin-teacher answers to the probe prompts)
 * variants; the probe asks for the top-20 logprobs, so the logprob test (§4c) runs on the same
 * answers.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { specId } from '@tracemark/detector';
import { encodeFilterJson, pairToBigInt, sortUnique } from '@tracemark/serve';
import { Watermark, type Seed } from '@tracemark/watermark';
import { investigateRadioactivity } from '../../src/index.js';
import { CLI, runCli } from './cli.js';
import { DECOYS, SIZES, SPEC, KEY, WORK, type Cell } from './setup.js';


export interface ClosedCell {
  queries: number;
  maxTokens: number;
  variant: string;
  scored: number;
  /** Green tuples among the scored, and γ·scored. */
  green: number;
  expected: number;
  log10P: number;
  decoysMinLog10P: number | null;
  decoysSignificant: number;
  /** The logprob test (§4c) on the same answers' top-20 logprobs: distinct windows read, log10 p, decoys. */
  logprob: { windows: number; log10P: number; decoysMinLog10P: number | null; decoysSignificant: number } | null;
  /** Bonferroni over every test run on this transcript (both variants, sampled and logprob). */
  combinedLog10P: number;
}

/** Start `tracemark serve` on a free port; resolves with its URL and a stop function. */
async function serve(dir: string, cwd: string): Promise<{ url: string; model: string; stop: () => Promise<void> }> {
  const p = spawn(process.execPath, [...CLI, 'serve', '--spec', 'suspect-spec.json', '--key', 'suspect-key.json', '--model', dir, '--port', '0', '--max-queue', '4096'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout });
  const { url, model } = await new Promise<{ url: string; model: string }>((resolve, reject) => {
    lines.on('line', (l) => {
      try {
        const e = JSON.parse(l) as { event?: string; url?: string; model?: string };
        if (e.event === 'listening' && e.url && e.model) resolve({ url: e.url, model: e.model });
      } catch {
        /* not JSON */
      }
    });
    p.on('exit', (code) => reject(new Error(`tracemark serve exited ${code}`)));
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      p.on('exit', () => resolve());
      p.kill('SIGINT');
    });
  return { url, model, stop };
}

interface ServedText { tokens: number[]; start: number }

/**
 * The supervised filter file of a cell, as `tracemark ledger export-filter` would write it for
 * the cloner's accounts: the window of every answer position of the watermarked answers the
 * cell took (the ledger also records the window of a final end-of-text step; the harvest keeps
 * no trace of it, so at most one window per answer is missing). The control cell's harvest came
 * from the unwatermarked teacher, which our ledger never saw: it gets our watermarked answers
 * to the same prompts, and ρ = 0, which took none, every answer we served (as an innocent
 * suspect would be tested against the whole ledger).
 */
export function servedFilter(cell: Cell & { served: number[] }, file: string): void {
  const served = (JSON.parse(readFileSync(`${WORK}harvest.json`, 'utf8')) as { watermarked: ServedText[] }).watermarked;
  const texts = cell.served.length ? cell.served.map((i) => served[i]!) : served;
  const wm = new Watermark(SPEC, KEY);
  const seed: Seed = { hi: 0, lo: 0 };
  const windows: bigint[] = [];
  for (const t of texts) {
    for (let end = t.start; end < t.tokens.length; end++) if (wm.windowSeed(t.tokens, end, seed)) windows.push(pairToBigInt(seed.hi, seed.lo));
  }
  const w = sortUnique(windows);
  const header = { type: 'tracemark-filter' as const, version: 1 as const, specId: specId(SPEC), keyFingerprint: KEY.fingerprint, accounts: ['cloner'], since: null, until: null, created: '2026-01-01T00:00:00.000Z', responses: texts.length, count: w.length };
  writeFileSync(file, encodeFilterJson(header, w));
}

export async function closedModelTests(cell: Cell & { served: number[] }, queries: number[], maxTokens: number): Promise<ClosedCell[]> {
  const cwd = `${WORK}closed/${cell.name}/`;
  mkdirSync(cwd, { recursive: true });
  const dir = `${WORK}students/${cell.name}`;
  const prompts = (JSON.parse(readFileSync(`${WORK}prompts.json`, 'utf8')) as { probe: string[] }).probe;
  const qMax = Math.max(...queries);
  if (qMax > prompts.length) throw new Error(`${qMax} queries but only ${prompts.length} probe prompts`);
  writeFileSync(`${cwd}prompts.jsonl`, prompts.slice(0, qMax).map((p, i) => `${JSON.stringify({ id: `p${i}`, prompt: p })}\n`).join(''));
  // The suspect's own key and spec, made once: a rerun with more queries resumes the same endpoint.
  if (!existsSync(`${cwd}suspect-key.json`)) await runCli(['keygen', '--out', 'suspect-key.json'], cwd);
  if (!existsSync(`${cwd}suspect-spec.json`)) await runCli(['spec', 'init', '--key', 'suspect-key.json', '--tokenizer', `hf:${dir}`, '--delta', '0.001', '--out', 'suspect-spec.json'], cwd);
  const server = await serve(dir, cwd);
  const t0 = performance.now();
  try {
    await runCli(['probe', '--base-url', server.url.replace(/\/?(v1)?\/?$/, '/v1'), '--model', server.model, '--endpoint', 'completions', '--prompts', 'prompts.jsonl', '--max-tokens', String(maxTokens), '--temperature', '1', '--logprobs', '20', '--concurrency', '1', '--transcript', 'transcript.jsonl', '--resume'], cwd);
  } finally {
    await server.stop();
  }
  process.stderr.write(`${cell.name}: probed ${qMax} prompts in ${Math.round((performance.now() - t0) / 1000)} s\n`);
  const lines = readFileSync(`${cwd}transcript.jsonl`, 'utf8').split('\n').filter((l) => l.trim());
  servedFilter(cell, `${cwd}served-filter.json`);
  const out: ClosedCell[] = [];
  for (const q of queries) {
    const file = `${cwd}transcript-${q}.jsonl`;
    writeFileSync(file, lines.slice(0, q).map((l) => `${l}\n`).join(''));
    const r = await investigateRadioactivity({
      spec: SPEC,
      key: KEY,
      transcript: file,
      variants: ['unfiltered', 'supervised', 'unsupervised'],
      filters: [`${cwd}served-filter.json`],
      teacher: { model: 'builtin', responsesPerPrompt: 1, maxTokens: SIZES.answerTokens, temperature: 1, seed: 5 },
      decoyKeys: DECOYS,
      decoySeed: 'neural-students/decoys',
      alpha: 1e-6,
    });
    for (const v of r.variants) {
      const lp = r.logprob?.find((x) => x.variant === v.variant)?.suspect;
      out.push({
        queries: q,
        maxTokens,
        variant: v.variant,
        scored: v.suspect.accounting.scored,
        green: v.suspect.pooled.score,
        expected: v.suspect.pooled.expected,
        log10P: v.suspect.pooled.log10P,
        decoysMinLog10P: v.suspect.decoys.minLog10P ?? null,
        decoysSignificant: v.suspect.decoys.significant,
        logprob: lp ? { windows: lp.test.windows, log10P: lp.test.log10P, decoysMinLog10P: lp.decoys.minLog10P ?? null, decoysSignificant: lp.decoys.significant } : null,
        combinedLog10P: r.combinedLog10P,
      });
      process.stderr.write(`${cell.name} closed q=${q} ${v.variant}: ${v.suspect.accounting.scored} scored, log10 p ${v.suspect.pooled.log10P.toFixed(1)}\n`);
    }
  }
  return out;
}
