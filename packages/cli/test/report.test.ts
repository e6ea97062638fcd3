/**
 * `tracemark report` and `tracemark verify` through the program, in-process: a signed bundle from
 * two transcripts (a "clone" answering with watermarked text, a "control" with plain
 * text from the same model), the verdicts, decoy keys, reproduction bit for bit, a
 * tamper test over every file, a re-signed forgery that only reproduction catches, and
 * the HTML report in headless Chromium (renders, no console errors, no network).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptSet } from '@tracemark/corpora';
import { generateTextSync, referenceModel } from '@tracemark/lm';
import { Embedder, Watermark, toHex } from '@tracemark/watermark';
import { generateSigningKeyFile, signingKeyFromFile, writeBundle } from '@tracemark/evidence';
import { sha256Hex } from '@tracemark/detector';
import type { TranscriptLine } from '@tracemark/investigate';
import { ReportOutputSchema, VerifyOutputSchema } from '../src/schemas.js';
import { runInProcess, type CliResult } from './helpers/cli.js';
import { makeFixture, type Fixture } from './helpers/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const DECOY_SEED = 'ab'.repeat(32);

let fx: Fixture;
let dir: string;
let signPath: string;
let signPub: string;
let bundle: string;
let reportRun: CliResult;

function probeLine(id: string, prompt: string, text: string, model: string): TranscriptLine {
  const request = { model, messages: [{ role: 'user', content: prompt }], max_tokens: 80, temperature: 1 };
  const body = JSON.stringify({ id: `cmpl-${id}`, object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }] });
  return {
    type: 'tracemark-probe',
    version: 1,
    promptId: id,
    prompt,
    endpoint: 'chat',
    url: 'http://127.0.0.1:9/v1/chat/completions',
    model,
    request,
    requestSha256: sha256Hex(JSON.stringify(request)),
    status: 200,
    responseBody: body,
    responseSha256: sha256Hex(body),
    response: text,
    finishReason: 'length',
    responseModel: model,
    usage: null,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:01.000Z',
    attempts: 1,
  };
}

beforeAll(() => {
  fx = makeFixture({ seed: 'report-test' });
  dir = mkdtempSync(join(tmpdir(), 'tracemark-report-'));
  const sk = generateSigningKeyFile();
  signPub = sk.publicKey;
  signPath = join(dir, 'sign.json');
  writeFileSync(signPath, JSON.stringify(sk), { mode: 0o600 });
  // A clone that answers in our watermark (what a distilled student does, strongly), and
  // an innocent control: the same model without the watermark.
  const model = referenceModel();
  const embedder = new Embedder(new Watermark(fx.spec, fx.key));
  const prompts = promptSet(30, 7);
  const clone: string[] = [];
  const control: string[] = [];
  prompts.forEach((p, i) => {
    const id = `p${String(i).padStart(2, '0')}`;
    const w = generateTextSync({ model, watermark: embedder, prompt: p, maxTokens: 60, seed: `clone-${i}` });
    const c = generateTextSync({ model, prompt: p, maxTokens: 60, seed: `control-${i}` });
    clone.push(JSON.stringify(probeLine(id, p, w.text, 'clone-model')));
    control.push(JSON.stringify(probeLine(id, p, c.text, 'control-model')));
  });
  writeFileSync(join(dir, 'clone.jsonl'), clone.join('\n') + '\n');
  writeFileSync(join(dir, 'control.jsonl'), control.join('\n') + '\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(fx.dir, { recursive: true, force: true });
});

const reportArgs = (out: string, extra: string[] = []): string[] => [
  'report',
  '--spec', fx.specPath,
  '--key', fx.keyPath,
  '--signing-key', signPath,
  '--transcript', join(dir, 'clone.jsonl'),
  '--transcript', `innocent=${join(dir, 'control.jsonl')}`,
  '--decoys', '12',
  '--decoy-seed', DECOY_SEED,
  '--out', out,
  ...extra,
];

function filesOf(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe('report', () => {
  beforeAll(async () => {
    bundle = join(dir, 'bundle');
    reportRun = await runInProcess([...reportArgs(bundle), '--json'], { timeoutMs: 60_000 });
  });

  it('writes a signed bundle whose --json output matches the schema and whose verdicts are right', () => {
    expect(reportRun.stderr).toBe('');
    expect(reportRun.code).toBe(0);
    const out = ReportOutputSchema.parse(JSON.parse(reportRun.stdout));
    expect(out.signerPublicKey).toBe(signPub);
    const [clone, innocent] = out.suspects;
    expect(clone!.name).toBe('clone');
    expect(clone!.verdict).toBe('detected');
    expect(clone!.log10P).toBeLessThan(-20);
    expect(innocent!.name).toBe('innocent');
    expect(innocent!.verdict).toBe('not-detected');
    expect(innocent!.log10P).toBeGreaterThan(-6);
    expect(filesOf(bundle)).toEqual(
      ['key-fingerprint.txt', 'manifest.json', 'report.html', 'report.json', 'report.md', 'scores.json', 'spec.json', 'transcripts/clone.jsonl', 'transcripts/innocent.jsonl'].sort(),
    );
    // The transcripts are copied byte for byte.
    expect(readFileSync(join(bundle, 'transcripts/clone.jsonl'))).toEqual(readFileSync(join(dir, 'clone.jsonl')));
  });

  it('never writes the key: only its fingerprint', () => {
    const secret = JSON.parse(readFileSync(fx.keyPath, 'utf8')).key as string;
    expect(secret).toBe(toHex(fx.key.secretBytes()));
    for (const f of filesOf(bundle)) expect(readFileSync(join(bundle, f), 'utf8'), f).not.toContain(secret);
    expect(readFileSync(join(bundle, 'key-fingerprint.txt'), 'utf8').trim()).toBe(fx.key.fingerprint);
  });

  it('records decoy keys that look uniform and the evidence curve', () => {
    const scores = JSON.parse(readFileSync(join(bundle, 'scores.json'), 'utf8'));
    const [clone, innocent] = scores.suspects;
    expect(scores.method.decoys.seed).toBe(DECOY_SEED);
    for (const s of [clone, innocent]) {
      expect(s.decoys).toHaveLength(12);
      expect(s.decoyKs.pValue).toBeGreaterThan(1e-4); // uniform under H0 (a 1e-4 false alarm rate for this check)
      expect(s.curve.length).toBe(30);
      expect(s.curve.at(-1)[0]).toBe(s.pooled.scored);
      expect(s.heatmap.length).toBeGreaterThan(0);
    }
    expect(clone.decoysAtLeastAsSmall).toBe(0);
    // Global dedup: the pooled n is the sum of what each response added.
    expect(clone.perResponse.reduce((a: number, r: { novel: number }) => a + r.novel, 0)).toBe(clone.pooled.scored);
    // Prompt windows were excluded.
    expect(clone.accounting.promptWindows).toBeGreaterThan(0);
  });

  it('refuses bad input with one line on stderr', async () => {
    const bad = join(dir, 'bad.jsonl');
    const lines = readFileSync(join(dir, 'clone.jsonl'), 'utf8').split('\n');
    lines[3] = '{"type":"tracemark-probe", oops';
    writeFileSync(bad, lines.join('\n'));
    const [malformed, exists, missing] = await Promise.all([
      runInProcess(['report', '--spec', fx.specPath, '--key', fx.keyPath, '--signing-key', signPath, '--transcript', bad, '--out', join(dir, 'never')]),
      runInProcess(reportArgs(bundle)),
      runInProcess(['report', '--spec', fx.specPath, '--key', fx.keyPath, '--signing-key', join(dir, 'nope.json'), '--transcript', bad, '--out', join(dir, 'never2')]),
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^tracemark: .*bad\.jsonl:4: malformed JSON line\n$/);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/^tracemark: refusing to overwrite existing bundle directory/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tracemark: signing key file not found: /);
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('verify', () => {
  it('checks integrity and reproduces every recorded number bit for bit', async () => {
    const r = await runInProcess(['verify', bundle, '--key', fx.keyPath, '--trusted-signer', signPub, '--json'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = VerifyOutputSchema.parse(JSON.parse(r.stdout));
    expect(v.ok).toBe(true);
    expect(v.signer).toEqual({ publicKey: signPub, trusted: true });
    expect(v.reproduction!.checked).toBe(true);
    expect(v.reproduction!.mismatches).toEqual([]);
    const scores = JSON.parse(readFileSync(join(bundle, 'scores.json'), 'utf8'));
    v.reproduction!.suspects.forEach((s, i) => {
      expect(s.equal).toBe(true);
      expect(s.reproducedLnP).toBe(scores.suspects[i].pooled.lnP);
      expect(s.reproducedScored).toBe(scores.suspects[i].pooled.scored);
    });
  });

  it('fails, naming the file, for a one-byte change in any file of the bundle', async () => {
    const files = filesOf(bundle);
    expect(files.length).toBe(9);
    const results: [string, CliResult][] = [];
    // Three at a time: each is a separate process.
    for (let i = 0; i < files.length; i += 3) {
      const batch = files.slice(i, i + 3);
      results.push(
        ...(await Promise.all(
          batch.map(async (f, j): Promise<[string, CliResult]> => {
            const copy = join(dir, `tamper-${i + j}`);
            cpSync(bundle, copy, { recursive: true });
            const p = join(copy, f);
            const bytes = readFileSync(p);
            const at = Math.floor(bytes.length / 2);
            bytes[at] = bytes[at]! ^ 0x01;
            writeFileSync(p, bytes);
            return [f, await runInProcess(['verify', copy, '--json'])];
          }),
        )),
      );
    }
    for (const [f, r] of results) {
      expect(r.code, f).toBe(1);
      const v = VerifyOutputSchema.parse(JSON.parse(r.stdout));
      expect(v.ok, f).toBe(false);
      expect(r.stderr, f).toMatch(/^tracemark: bundle verification failed: .+\n$/);
      if (f !== 'manifest.json') expect(v.integrity.problems.some((p) => p.path === f), f).toBe(true);
    }
  });

  it('catches a re-signed forgery of the recorded numbers by reproducing them', async () => {
    const forged = join(dir, 'forged');
    const files = new Map<string, Uint8Array>();
    for (const f of filesOf(bundle)) if (f !== 'manifest.json') files.set(f, readFileSync(join(bundle, f)));
    const scores = JSON.parse(Buffer.from(files.get('scores.json')!).toString('utf8'));
    scores.suspects[1].pooled.lnP -= 1e-9; // a tiny change to the control's p-value
    files.set('scores.json', new TextEncoder().encode(JSON.stringify(scores, null, 1) + '\n'));
    await writeBundle(forged, files, signingKeyFromFile(readFileSync(signPath, 'utf8')));
    const [noKey, withKey] = await Promise.all([runInProcess(['verify', forged]), runInProcess(['verify', forged, '--key', fx.keyPath, '--json'], { timeoutMs: 60_000 })]);
    expect(noKey.code).toBe(0); // the signature is valid: only re-running detection can tell
    expect(withKey.code).toBe(1);
    const v = VerifyOutputSchema.parse(JSON.parse(withKey.stdout));
    expect(v.integrity.ok).toBe(true);
    expect(v.reproduction!.ok).toBe(false);
    expect(v.reproduction!.mismatches.map((m) => m.path)).toContain('suspects[1].pooled.lnP');
    expect(withKey.stderr).toMatch(/^tracemark: bundle verification failed: recorded numbers not reproduced \(suspects\[1\]\.pooled\.lnP\)\n$/);
  });

  it('refuses a wrong key, an untrusted signer and a missing bundle', async () => {
    const other = makeFixture({ seed: 'report-test-other' });
    const [wrong, untrusted, missing] = await Promise.all([
      runInProcess(['verify', bundle, '--key', other.keyPath]),
      runInProcess(['verify', bundle, '--trusted-signer', '11'.repeat(32)]),
      runInProcess(['verify', join(dir, 'no-such-bundle')]),
    ]);
    rmSync(other.dir, { recursive: true, force: true });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^tracemark: .*wrong key: key fingerprint [0-9a-f]{32} does not match/);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/signed by a key other than the trusted one/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tracemark: bundle not found: ${join(dir, 'no-such-bundle')}\n`);
  });
});

describe('the HTML report in headless Chromium', () => {
  const have = existsSync(CHROMIUM);
  if (!have) {
    const msg = `Chromium not found at ${CHROMIUM}: the report rendering test is SKIPPED (apt-get install chromium to run it)`;
    if (process.env.TRACEMARK_CI) {
      it('needs Chromium in CI', () => {
        throw new Error(`${msg}; TRACEMARK_CI is set, so this is a failure`);
      });
    } else {
      console.warn(`\n${'!'.repeat(100)}\n!! ${msg}\n${'!'.repeat(100)}\n`);
      it.skip('renders (skipped: no Chromium)', () => {});
    }
    return;
  }

  it('renders with no console errors and no network requests, and is screenshotted', async () => {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'tracemark-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 1400 },
    });
    try {
      const page = await browser.newPage();
      const fileUrl = pathToFileURL(join(bundle, 'report.html')).href;
      const requests: string[] = [];
      const problems: string[] = [];
      await page.route('**/*', (route) => {
        const url = route.request().url();
        requests.push(url);
        return url === fileUrl ? route.continue() : route.abort();
      });
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
      await page.goto(fileUrl, { waitUntil: 'load' });
      expect(await page.title()).toBe('tracemark evidence report');
      expect(await page.locator('svg.chart').count()).toBe(6); // 3 charts × 2 suspects
      expect(await page.locator('.heat span.g').count()).toBeGreaterThan(50);
      expect(await page.locator('.badge.detected').count()).toBe(1);
      expect(await page.locator('text=what the p-value does not say').count()).toBeGreaterThan(0);
      // The charts are drawn: the evidence curve has a polyline with points.
      const pts = await page.locator('svg.chart polyline[stroke="#0072b2"]').first().getAttribute('points');
      expect((pts ?? '').split(' ').length).toBe(30);
      // Read by a lawyer on a laptop and on a narrow window (issue 17): at 1400 and 800 px nothing
      // overflows sideways, no p-value breaks across lines, chart legends sit above the plot (never
      // over a curve), the undetected suspect gets no token heatmap, the method's commands are code.
      for (const width of [1400, 800]) {
        await page.setViewportSize({ width, height: 1200 });
        const layout = await page.evaluate(() => {
          const lines = (e: Element): number => {
            const r = document.createRange();
            r.selectNodeContents(e);
            return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
          };
          const wrapped = [...document.querySelectorAll('td.num, .nw')].filter((e) => lines(e) > 1).map((e) => e.textContent);
          const legendsOverPlot = [...document.querySelectorAll('svg.chart')].filter((svg) => {
            const legend = svg.querySelector('g.legend') as SVGGraphicsElement | null;
            const plot = svg.querySelector('rect') as SVGGraphicsElement;
            return legend !== null && legend.getBBox().y + legend.getBBox().height > plot.getBBox().y;
          }).length;
          return { overflow: document.documentElement.scrollWidth - window.innerWidth, wrapped, legendsOverPlot, nowrapPs: document.querySelectorAll('.verdict .nw').length };
        });
        expect(layout.overflow, `horizontal overflow at ${width}px`).toBeLessThanOrEqual(0);
        expect(layout.wrapped, `numbers broken across lines at ${width}px`).toEqual([]);
        expect(layout.legendsOverPlot).toBe(0);
        expect(layout.nowrapPs).toBeGreaterThan(0);
        await page.screenshot({ path: join(dir, `report-${width}.png`), fullPage: true });
      }
      const undetected = page.locator('section:has(.verdict.not-detected)');
      expect(await undetected.count()).toBe(1);
      expect(await undetected.locator('.heat').count()).toBe(0);
      expect(await undetected.locator('text=Not shown').count()).toBe(1);
      expect(await page.locator('section:has(.verdict.detected) .heat').count()).toBeGreaterThan(0);
      expect(await page.locator('h2:text("Method") ~ p code').count()).toBeGreaterThan(0);
      expect(await page.content()).not.toMatch(/`tracemark verify/);
      mkdirSync(ARTIFACTS, { recursive: true });
      for (const width of [1400, 800]) copyFileSync(join(dir, `report-${width}.png`), join(ARTIFACTS, `report-${width}.png`));
      expect(requests).toEqual([fileUrl]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
