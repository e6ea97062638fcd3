/**
 * Child processes of the benchmarks and the replica test: a node program that prints
 * `{"event":"listening","url":…}` on stdout (the `tracemark serve` CLI, or a fake
 * upstream), with its whole output kept (to check no password was printed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  proc: ChildProcess;
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
}

export function startNode(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc = spawn(process.execPath, argv, { cwd: REPO, env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`did not start in 120 s: ${out}`));
    }, 120_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /"event":"listening","url":"([^"]+)"/.exec(out);
      if (m && timer.hasRef()) {
        clearTimeout(timer);
        timer.unref();
        resolve({ proc, url: m[1]!, output: () => out });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code ?? signal} before listening: ${out.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** `tracemark serve …` from the sources, on 127.0.0.1 and a free port. */
export const startServe = (args: string[], env?: NodeJS.ProcessEnv): Promise<Child> =>
  startNode(['--conditions=source', '--import', 'tsx', BIN, 'serve', ...args, '--host', '127.0.0.1', '--port', '0'], env);

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopChild(c: Child | undefined, graceMs = 5000): Promise<void> {
  if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
    c.proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    c.proc.kill('SIGTERM');
  });
}

/**
 * A fake OpenAI upstream (node:http, loopback): each chat completion answers a text
 * derived from the request's last message, as JSON or as 16 SSE events `eventDelayMs`
 * apart (so streams stay in flight long enough to be cut by a kill).
 */
export function fakeUpstreamSource(eventDelayMs: number): string {
  return `
const http = require('node:http');
const textOf = (p) => 'Answer to ' + p + ': the quick brown fox jumps over the lazy dog while the harbour lights come on.';
const s = http.createServer((req, res) => {
  if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"object":"list","data":[{"id":"fixed","object":"model","created":1,"owned_by":"x"}]}'); return; }
  const parts = []; req.on('data', (c) => parts.push(c)); req.on('end', () => {
    const r = JSON.parse(Buffer.concat(parts).toString());
    const text = textOf(r.messages[r.messages.length - 1].content);
    const id = 'up-' + Math.random().toString(36).slice(2);
    if (!r.stream) {
      const body = JSON.stringify({ id, object: 'chat.completion', created: 1, model: 'fixed', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const words = text.split(/(?= )/); const per = Math.ceil(words.length / 16); const events = [];
    for (let i = 0; i < words.length; i += per) events.push('data: ' + JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'fixed', choices: [{ index: 0, delta: { content: words.slice(i, i + per).join('') }, finish_reason: null }] }) + '\\n\\n');
    events.push('data: ' + JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'fixed', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) + '\\n\\n', 'data: [DONE]\\n\\n');
    let i = 0;
    const next = () => { if (res.destroyed) return; res.write(events[i++]); if (i < events.length) setTimeout(next, ${eventDelayMs}); else res.end(); };
    next();
  });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', url: 'http://127.0.0.1:' + s.address().port })));
`;
}
