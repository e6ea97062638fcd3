/**
 * docs/OWN-MODEL.md's commands really run. The console blocks marked
 * `<!-- own-model:<kind> -->` are executed in order in a temporary directory whose
 * `my-model/` is a tiny ONNX chat model (writeTinyCausalLM, plus a chat template): every `$ tracemark …` line runs
 * the CLI there (in this process, after chdir: the spec's hf:my-model is relative to
 * the working directory), `echo '…' > file` writes the file, and each `# prints: …`
 * line under a command must appear in its output.
 *   run     every command exits 0;
 *   serve   `tracemark serve` is started (as a child, --port 0 for the doc's port),
 *           each `curl … -d '<json>'` is sent to it with fetch, then it is stopped (SIGINT);
 *   errors  a command with `# prints:` exits 2 and its last stderr line is that line
 *           (with the temporary directory's absolute path made relative, as the page says).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCausalLM } from '@tracemark/lm/testing';
import { REPO_ROOT, runInProcess, spawnCli } from './helpers/cli.js';

interface Step {
  command: string;
  prints: string[];
  line: number;
}
interface Block {
  kind: 'run' | 'serve' | 'errors';
  steps: Step[];
  line: number;
}

function blocks(doc: string[]): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < doc.length; i++) {
    const m = /^<!-- own-model:(run|serve|errors) -->$/.exec(doc[i]!);
    if (!m) continue;
    if (doc[i + 1] !== '```console') throw new Error(`OWN-MODEL.md:${i + 2}: a console block must follow the marker`);
    const steps: Step[] = [];
    let j = i + 2;
    for (; doc[j] !== '```'; j++) {
      const l = doc[j]!;
      if (l.startsWith('$ ')) steps.push({ command: l.slice(2), prints: [], line: j + 1 });
      else if (l.startsWith('# prints: ')) steps.at(-1)!.prints.push(l.slice('# prints: '.length));
      else throw new Error(`OWN-MODEL.md:${j + 1}: only "$ " and "# prints: " lines in a checked block`);
    }
    out.push({ kind: m[1] as Block['kind'], steps, line: i + 1 });
    i = j;
  }
  return out;
}

/** Split a command line into words; '…' and "…" quote (no escapes inside). */
function words(command: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m; (m = re.exec(command)); ) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

const doc = readFileSync(join(REPO_ROOT, 'docs/OWN-MODEL.md'), 'utf8').split('\n');
const bs = blocks(doc);
let dir: string;
const home = process.cwd();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-own-model-doc-'));
  await writeTinyCausalLM(join(dir, 'my-model'), { vocabSize: 256, hidden: 16, seed: 7 });
  // A chat model's directory: a small chat template, so the page's chat request goes through it.
  const cfg = join(dir, 'my-model', 'tokenizer_config.json');
  const template = '{% for m in messages %}{{ bos_token }}{{ m.role }} {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}{{ bos_token }}assistant{% endif %}';
  writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(cfg, 'utf8')), chat_template: template }));
  process.chdir(dir);
});

afterAll(() => {
  process.chdir(home);
  rmSync(dir, { recursive: true, force: true });
});

async function tracemark(s: Step): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = words(s.command);
  expect(args[0], `OWN-MODEL.md:${s.line}`).toBe('tracemark');
  return runInProcess(args.slice(1), { timeoutMs: 90_000 });
}

function echo(s: Step): boolean {
  const m = /^echo '(.*)' > (\S+)$/.exec(s.command);
  if (!m) return false;
  writeFileSync(join(dir, m[2]!), `${m[1]}\n`);
  return true;
}

/** Start the doc's serve command as a child in `dir` (on a free port) and wait for its listening line. */
async function startServe(s: Step): Promise<{ url: string; proc: ChildProcess; out: () => string }> {
  const args = words(s.command).slice(1);
  const p = args.indexOf('--port');
  args.splice(p, 2, '--port', '0', '--host', '127.0.0.1');
  const proc = spawnCli(args, { TRACEMARK_CWD_FROM_INIT: '1', INIT_CWD: dir });
  proc.stdin!.end();
  let out = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\n${out}`)), 60_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /"event":"listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('close', (code) => reject(new Error(`serve exited (${code})\n${out}`)));
  });
  return { url, proc, out: () => out };
}

async function curl(s: Step, url: string): Promise<string> {
  const w = words(s.command);
  const target = new URL(w.find((x) => x.startsWith('http://'))!);
  const headers: Record<string, string> = {};
  for (let i = 0; i < w.length; i++) if (w[i] === '-H') headers[w[i + 1]!.split(':')[0]!] = w[i + 1]!.split(': ').slice(1).join(': ');
  const body = w[w.indexOf('-d') + 1]!;
  const res = await fetch(`${url}${target.pathname}`, { method: 'POST', headers, body });
  const text = await res.text();
  expect(res.status, `OWN-MODEL.md:${s.line}: ${text}`).toBe(200);
  return text;
}

describe('docs/OWN-MODEL.md', () => {
  it('has its blocks in order: run, run, serve, run, run, errors', () => {
    expect(bs.map((b) => b.kind)).toEqual(['run', 'run', 'serve', 'run', 'run', 'errors']);
  });

  it('every command works as the page says, in order', async () => {
    for (const b of bs) {
      if (b.kind === 'serve') {
        let server: Awaited<ReturnType<typeof startServe>> | undefined;
        try {
          for (const s of b.steps) {
            if (echo(s)) continue;
            if (s.command.startsWith('tracemark serve')) {
              server = await startServe(s);
              for (const f of s.prints) expect(server.out(), `OWN-MODEL.md:${s.line}`).toContain(f);
            } else {
              expect(s.command.startsWith('curl '), `OWN-MODEL.md:${s.line}`).toBe(true);
              const text = await curl(s, server!.url);
              for (const f of s.prints) expect(text, `OWN-MODEL.md:${s.line}`).toContain(f);
            }
          }
        } finally {
          if (server) {
            const closed = new Promise((r) => server!.proc.on('close', r));
            server.proc.kill('SIGINT');
            await closed;
          }
        }
        // The served reply is in the ledger the page's serve command created.
        expect(readFileSync(join(dir, 'ledger.sqlite')).length).toBeGreaterThan(0);
        continue;
      }
      for (const s of b.steps) {
        if (echo(s)) continue;
        const r = await tracemark(s);
        if (b.kind === 'errors' && s.prints.length > 0) {
          expect(r.code, `OWN-MODEL.md:${s.line}: ${r.stderr}`).toBe(2);
          // The page shortens the temporary directory's absolute path to a relative one.
          expect(r.stderr.split(`${dir}/`).join('').trimEnd().split('\n').at(-1), `OWN-MODEL.md:${s.line}`).toBe(s.prints[0]);
          continue;
        }
        expect(r.code, `OWN-MODEL.md:${s.line}: ${r.stderr}`).toBe(0);
        for (const f of s.prints) expect(r.stdout + r.stderr, `OWN-MODEL.md:${s.line}: ${s.command}`).toContain(f);
      }
    }
  }, 300_000);
});
