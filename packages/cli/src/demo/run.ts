/**
 * The end-to-end demo, on embedded defaults, in one process on loopback ports:
 *
 *   1. provider     makes a watermark key and spec, and serves its reference model through
 *                   `tracemark serve`'s server (watermarked, API keys, provenance ledger);
 *   2. cloner       harvests responses through that API with many accounts (API keys);
 *   3. cloner       distils a student from the harvest (lm `distil`, ρ = share of harvested
 *                   text), and — for comparison — an innocent control trained on the same
 *                   amount of human text only (ρ = 0);
 *   4. suspects     both students are served through the same server code, unwatermarked;
 *   5. investigator probes both suspects through their APIs (resumable transcripts);
 *   6. detection    pooled exact test with prompt exclusion, global dedup and decoy keys →
 *                   a signed evidence bundle with the HTML/Markdown/JSON report;
 *   7. verify       the bundle's integrity, signature, and a bit-for-bit re-run of detection.
 *
 * Nothing is downloaded; the only network traffic is on 127.0.0.1.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { humanText, promptSet } from '@tracemark/corpora';
import { distil } from '@tracemark/lm';
import { canonicalSpecJson, exportKeyFile, generateKey, parseSpec, Watermark, type WatermarkSpec } from '@tracemark/watermark';
import {
  generateSigningKeyFile,
  signingKeyFromFile,
  verifyBundle,
  buildBundle,
  reproduceBundle,
  newDecoySeed,
  sci,
} from '@tracemark/evidence';
import { usage, exists, specId as specIdOf } from '@tracemark/detector';
import { fmtDuration, println, progress } from '../io/output.js';
import { Ledger, LedgerWriter, ApiKeys, loadServedModel, type ServedModel, TracemarkServer } from '@tracemark/serve';
import {
  postWithRetry,
  RateLimiter,
  type RetryPolicy,
  builtinPrompts,
  runProbe,
  readTranscriptBytes,
} from '@tracemark/investigate';
import { throwawayWatermark, unwatermarkedServedModel } from './suspect.js';

export interface DemoOptions {
  /** Output directory (default .tracemark-demo/<timestamp> under the current directory). */
  out?: string;
  /** Smaller sizes and a pure clone (ρ = 1): about 40% of the time. */
  quick?: boolean;
  /** Stage lines (default: stdout). */
  log?: (line: string) => void;
  /** Override sizes (experiments, tests). */
  sizes?: Partial<DemoSizes>;
  /** The clock of the stage times (tests; default Date.now). */
  now?: () => number;
}

export interface DemoSizes {
  accounts: number;
  harvestPrompts: number;
  harvestTokens: number;
  rho: number;
  probePrompts: number;
  probeTokens: number;
  decoys: number;
}

export const DEMO_SIZES: Record<'full' | 'quick', DemoSizes> = {
  // ~35 s on 2 cores: a student trained half on harvested text (ρ = 0.5); p ≈ 1e-100.
  full: { accounts: 12, harvestPrompts: 1500, harvestTokens: 120, rho: 0.5, probePrompts: 400, probeTokens: 120, decoys: 20 },
  // ~10 s: a pure clone (ρ = 1) from a smaller harvest; p ≈ 1e-29.
  quick: { accounts: 6, harvestPrompts: 300, harvestTokens: 100, rho: 1, probePrompts: 100, probeTokens: 100, decoys: 10 },
};

export interface DemoSuspect {
  name: string;
  rho: number;
  trainingTokens: number;
  responses: number;
  scored: number;
  lnP: number;
  log10P: number;
  pValue: string;
  holmLog10P: number;
  verdict: 'detected' | 'not-detected';
  decoyKsPValue: number | null;
}

export interface DemoSummary {
  out: string;
  bundle: string;
  report: string;
  quick: boolean;
  sizes: DemoSizes;
  keyFingerprint: string;
  specId: string;
  provider: { accounts: number; ledgerRows: number };
  harvest: { responses: number; tokens: number; accounts: number };
  suspects: DemoSuspect[];
  verified: boolean;
  seconds: number;
}

const LOOPBACK = '127.0.0.1';
const POLICY: RetryPolicy = { retries: 6, baseDelayMs: 100, maxDelayMs: 2000, timeoutMs: 120_000 };
const quiet = (): void => {};

function startServer(wm: Watermark, model: ServedModel, apiKeys: ApiKeys | null, ledger: LedgerWriter | null): TracemarkServer {
  return new TracemarkServer({
    wm,
    model,
    apiKeys,
    ledger,
    host: LOOPBACK,
    port: 0,
    maxConcurrency: 4,
    maxQueue: 256,
    maxBodyBytes: 1 << 20,
    defaultMaxTokens: 128,
    maxTokensLimit: 1024,
    shutdownTimeoutMs: 5_000,
    log: quiet,
    verbose: false,
  });
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

function apiKeyFor(role: string, i: number): string {
  // Demo-only keys: random, so nothing about them is guessable from the code.
  const r = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return `sk-${role}-${i}-${Buffer.from(r).toString('hex')}`;
}

function defaultOut(): string {
  return join('.tracemark-demo', new Date().toISOString().replace(/[:.]/g, '-'));
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const now = opts.now ?? Date.now;
  const t0 = now();
  const log = opts.log ?? ((l: string) => println(l));
  const quick = opts.quick === true;
  const sz: DemoSizes = { ...DEMO_SIZES[quick ? 'quick' : 'full'], ...opts.sizes };
  const out = resolve(opts.out ?? defaultOut());
  if (exists(out)) throw usage(`demo output directory ${out} already exists: choose another --out`);
  mkdirSync(join(out, 'provider'), { recursive: true });
  mkdirSync(join(out, 'cloner'), { recursive: true });
  mkdirSync(join(out, 'investigator', 'transcripts'), { recursive: true });
  const clock = stageClock(t0, now);
  const servers: TracemarkServer[] = [];
  log(`tracemark demo${quick ? ' (quick)' : ''}: provider → cloner → investigator, everything on ${LOOPBACK}; output in ${out}`);

  try {
    // 1. Provider ------------------------------------------------------------------
    const key = generateKey();
    const spec: WatermarkSpec = parseSpec({
      version: 1,
      id: 'demo-provider',
      tokenizer: 'o200k_base',
      scheme: { name: 'kgw', gamma: 0.25, delta: 2 },
      context: { width: 1, mode: 'left' },
      payload: null,
      keyFingerprint: key.fingerprint,
    });
    const specId = specIdOf(spec);
    const keyPath = join(out, 'provider', 'watermark-key.json');
    writeSecret(keyPath, `${JSON.stringify(exportKeyFile(key), null, 2)}\n`);
    writeFileSync(join(out, 'provider', 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
    const accounts = Array.from({ length: sz.accounts }, (_, i) => ({ key: apiKeyFor('cloner', i + 1), account: `signup-${i + 1}`, accountId: 1000 + i }));
    const keysText = JSON.stringify({ keys: accounts }, null, 2);
    writeSecret(join(out, 'provider', 'api-keys.json'), keysText);
    const ledger = Ledger.openForWriting(join(out, 'provider', 'ledger.sqlite'), { specId, keyFingerprint: key.fingerprint, specJson: canonicalSpecJson(spec) });
    const ledgerWriter = new LedgerWriter(ledger);
    const teacher = await loadServedModel('builtin', spec);
    const provider = startServer(new Watermark(spec, key), teacher, ApiKeys.parse(keysText, 'demo api keys', null), ledgerWriter);
    servers.push(provider);
    const providerUrl = await provider.listen();
    log(`[1/7] provider: watermark key ${key.fingerprint} (kept secret), spec kgw γ=0.25 δ=2 h=1; serving ${teacher.id} at ${providerUrl}/v1 with ${sz.accounts} API accounts and a provenance ledger`);
    clock.lap();

    // 2. Cloner: harvest through the API ----------------------------------------------
    const harvestPrompts = promptSet(sz.harvestPrompts, 11, { split: 'train' });
    const harvested: { account: string; prompt: string; text: string; tokens: number }[] = new Array(harvestPrompts.length);
    const bar = progress('      harvesting');
    const limiter = new RateLimiter(0);
    const ac = new AbortController();
    let next = 0, done = 0;
    const harvestWorker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= harvestPrompts.length) return;
        const acct = accounts[i % accounts.length]!;
        const prompt = harvestPrompts[i]!;
        const res = await postWithRetry({
          url: `${providerUrl}/v1/completions`,
          body: JSON.stringify({ model: teacher.id, prompt, max_tokens: sz.harvestTokens, temperature: 1 }),
          apiKey: acct.key,
          policy: POLICY,
          limiter,
          signal: ac.signal,
          everReached: () => true,
        });
        const j = JSON.parse(res.body) as { choices: { text: string }[]; usage?: { completion_tokens?: number } };
        harvested[i] = { account: acct.account, prompt, text: j.choices[0]!.text, tokens: j.usage?.completion_tokens ?? 0 };
        bar.update(++done, harvestPrompts.length);
      }
    };
    await Promise.all(Array.from({ length: 4 }, harvestWorker));
    bar.done();
    const harvestTokens = harvested.reduce((a, h) => a + h.tokens, 0);
    writeFileSync(join(out, 'cloner', 'harvest.jsonl'), harvested.map((h) => JSON.stringify(h)).join('\n') + '\n');
    log(`[2/7] cloner: harvested ${harvested.length} responses (${harvestTokens.toLocaleString('en-US')} tokens) through the API from ${sz.accounts} accounts — ${clock.lap()}`);

    // 3. Cloner: distil a student; and an innocent control ------------------------------
    const human = humanText({ split: 'train' }).map((d) => d.text);
    const docs = harvested.map((h) => h.prompt + h.text);
    const clone = distil({ harvested: docs, humanText: human, rho: sz.rho, seed: 5 });
    const total = clone.harvestedTokens + clone.humanTokens;
    const control = distil({ harvested: docs, humanText: human, rho: 0, trainingTokens: total, seed: 6 });
    log(
      `[3/7] cloner: distilled "clone" from ${clone.harvestedTokens.toLocaleString('en-US')} harvested + ${clone.humanTokens.toLocaleString('en-US')} human tokens (ρ = ${sz.rho}); ` +
        `innocent "control" from ${control.humanTokens.toLocaleString('en-US')} human tokens only (ρ = 0) — ${clock.lap()}`,
    );

    // 4. Suspects served through the same server code, unwatermarked --------------------
    const suspectKeys = { clone: apiKeyFor('investigator', 1), control: apiKeyFor('investigator', 2) };
    const serveSuspect = async (name: 'clone' | 'control', m: typeof clone.model): Promise<string> => {
      const keys = ApiKeys.parse(JSON.stringify({ keys: [{ key: suspectKeys[name], account: 'investigator' }] }), `${name} api keys`, null);
      const s = startServer(throwawayWatermark(spec), unwatermarkedServedModel(m, `${name}-lm`), keys, null);
      servers.push(s);
      return `${await s.listen()}/v1`;
    };
    const cloneUrl = await serveSuspect('clone', clone.model);
    const controlUrl = await serveSuspect('control', control.model);
    log(`[4/7] suspects: "clone-lm" at ${cloneUrl} and "control-lm" at ${controlUrl} (same OpenAI-compatible server code, no watermark)`);
    clock.lap();

    // 5. Investigator: probe both ----------------------------------------------------------
    const probePrompts = builtinPrompts(sz.probePrompts, 23);
    const transcripts: { name: 'clone' | 'control'; path: string }[] = [];
    for (const [name, url] of [['clone', cloneUrl], ['control', controlUrl]] as const) {
      const path = join(out, 'investigator', 'transcripts', `${name}.jsonl`);
      const pbar = progress(`      probing ${name}`);
      const r = await runProbe({
        baseUrl: url,
        model: `${name}-lm`,
        endpoint: 'chat',
        prompts: probePrompts,
        transcript: path,
        resume: false,
        maxTokens: sz.probeTokens,
        temperature: 1,
        concurrency: 4,
        rps: 0,
        policy: POLICY,
        apiKey: suspectKeys[name],
        signal: new AbortController().signal,
        onProgress: (d, t) => pbar.update(d, t),
      });
      pbar.done();
      if (r.failed.length > 0 || r.remaining > 0) throw new Error(`probing ${name}: ${r.failed.length} prompts failed`);
      transcripts.push({ name, path });
    }
    log(`[5/7] investigator: probed both suspects with ${probePrompts.length} held-out prompts each (chat API, transcripts fsync'd per line) — ${clock.lap()}`);

    // 6. Detection → signed evidence bundle ------------------------------------------------
    const signFile = generateSigningKeyFile();
    writeSecret(join(out, 'investigator', 'signing-key.json'), `${JSON.stringify(signFile, null, 2)}\n`);
    const bundleDir = join(out, 'investigator', 'bundle');
    const built = await buildBundle({
      out: bundleDir,
      spec,
      key,
      signer: signingKeyFromFile(JSON.stringify(signFile)),
      transcripts: transcripts.map((t) => ({ name: t.name, path: t.path, bytes: readTranscriptBytes(t.path) })),
      alpha: 1e-6,
      decoys: sz.decoys,
      decoySeed: newDecoySeed(),
      heatmap: 6,
      heatmapTokens: 400,
      title: 'tracemark demo: was "clone-lm" distilled from our model?',
      tool: 'tracemark demo',
    });
    log(`[6/7] detection: exact pooled tests (prompt windows excluded, global dedup, ${sz.decoys} decoy keys) → signed bundle ${bundleDir} — ${clock.lap()}`);

    // 7. Verify ------------------------------------------------------------------------------
    const v = await verifyBundle(bundleDir, { trustedPublicKey: signFile.publicKey });
    const rep = reproduceBundle(bundleDir, key);
    const verified = v.ok && rep.ok;
    log(`[7/7] verify: ${v.ok ? 'hashes, Merkle root and signature ok' : `FAILED (${v.problems[0]?.message})`}; re-run from the bundle ${rep.ok ? 'reproduces every number bit for bit' : 'DOES NOT reproduce the numbers'}`);

    await Promise.all(servers.map((s) => s.shutdown()));
    servers.length = 0;
    const ledgerRows = countLedgerRows(join(out, 'provider', 'ledger.sqlite'));

    const suspects: DemoSuspect[] = built.summary.suspects.map((s) => ({
      name: s.name,
      rho: s.name === 'clone' ? sz.rho : 0,
      trainingTokens: total,
      responses: s.responses,
      scored: s.scored,
      lnP: s.log10P * Math.LN10,
      log10P: s.log10P,
      pValue: s.pValue,
      holmLog10P: s.holmLog10P,
      verdict: s.verdict,
      decoyKsPValue: s.decoys.ksPValue,
    }));
    const report = join(bundleDir, 'report.html');
    log('');
    log(verdictTable(suspects));
    log('');
    log(`report:  ${report}`);
    log(`verify:  tracemark verify ${bundleDir} --key ${keyPath}`);
    log(`done in ${clock.total()}`);
    return {
      out,
      bundle: bundleDir,
      report,
      quick,
      sizes: sz,
      keyFingerprint: key.fingerprint,
      specId,
      provider: { accounts: sz.accounts, ledgerRows },
      harvest: { responses: harvested.length, tokens: harvestTokens, accounts: sz.accounts },
      suspects,
      verified,
      seconds: (now() - t0) / 1000,
    };
  } finally {
    await Promise.all(servers.map((s) => s.shutdown().catch(() => {})));
  }
}

/**
 * The demo's times, as durations (`850 ms`, `12.3 s`, `1m 05s`): `lap()` is the time since
 * the previous lap (or the start), i.e. what the stage just finished took; `total()` the
 * time since the start.
 */
export function stageClock(t0: number, now: () => number = Date.now): { lap(): string; total(): string } {
  let last = t0;
  return {
    lap() {
      const t = now();
      const d = fmtDuration(t - last);
      last = t;
      return d;
    },
    total: () => fmtDuration(now() - t0),
  };
}

function countLedgerRows(path: string): number {
  try {
    const l = Ledger.openForReading(path);
    try {
      return l.stats().responses;
    } finally {
      l.close();
    }
  } catch {
    return -1;
  }
}

export function verdictTable(rows: DemoSuspect[]): string {
  const head = ['suspect', 'trained on our outputs', 'responses', 'tokens scored', 'p-value', 'verdict (α = 1e-6)'];
  const body = rows.map((r) => [
    r.name,
    r.rho > 0 ? `yes (ρ = ${r.rho})` : 'no (ρ = 0)',
    String(r.responses),
    r.scored.toLocaleString('en-US'),
    sci(r.holmLog10P),
    r.verdict === 'detected' ? 'DETECTED' : 'not detected',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}


