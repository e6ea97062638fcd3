/**
 * Two proxy replicas (`tracemark serve --upstream`, two processes) writing one
 * PostgreSQL ledger under a bounded loopback load; one replica is killed with SIGKILL
 * mid-load. Then every client request is matched against the ledger:
 *   received  the client got the whole response (JSON body / `data: [DONE]`): it must
 *             have its row (response_id = the x-request-id header, the prompt's and
 *             the received text's SHA-256);
 *   failed    the client did not: a row for it is allowed only on the killed replica
 *             and only as the documented window (docs/SERVE.md §9: the row is committed
 *             before the last bytes are sent, so a kill between the two leaves a row
 *             whose response never arrived) — counted as "lost in flight";
 *   any other row is a violation.
 * Used by test/proxy.replicas.pg.test.ts (asserts) and bench/replica-kill.ts (prints).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sha256Hex } from '@tracemark/detector';
import { exportEngineKeyFile, generateEngineKey, parseEngineSpec } from '@tracemark/watermark';
import { fakeUpstreamSource, startNode, startServe, stopChild, type Child } from './processes.js';

export interface ReplicaKillOptions {
  /** A PostgreSQL database URL (empty database or a ledger bound to the same spec). */
  databaseUrl: string;
  /** Concurrent clients per replica. */
  clientsPerReplica: number;
  /** Load duration (ms) and when replica A is killed (ms after the load starts). */
  durationMs: number;
  killAtMs: number;
  /** Delay between the upstream's SSE events (ms). */
  eventDelayMs: number;
  /** Passed to the replicas' environment (e.g. PGOPTIONS for synchronous_commit). */
  env?: NodeJS.ProcessEnv;
}

interface Req {
  replica: 'A' | 'B';
  stream: boolean;
  prompt: string;
  received: boolean;
  requestId: string | null;
  text: string;
  /** When the whole response had arrived (ms after the load started; warm-up requests: negative). */
  endedMs: number;
}

export interface ReplicaFigures {
  replica: 'A' | 'B';
  killed: boolean;
  requests: number;
  received: number;
  failed: number;
  rows: number;
  /** Rows of requests whose client did not receive the whole response (killed replica only). */
  lostInFlight: number;
  /** Received responses without their row (must be 0). */
  missingRows: number;
  /** Requests in flight when the kill came (A only). */
  inFlightAtKill: number;
  /** Received responses per second from the start of the load to the kill. */
  throughputBeforeKill: number;
  /** … and from the kill to the end of the load (null for the killed replica). */
  throughputAfterKill: number | null;
}

export interface ReplicaKillResult {
  replicas: ReplicaFigures[];
  rows: number;
  /** Rows that match no request, or a received request with another text / id, or a failed request on the survivor. */
  violations: string[];
  incompleteRows: number;
  /** Did any replica print the database password? */
  passwordPrinted: boolean;
  durationMs: number;
}

async function one(base: string, key: string, r: Req): Promise<void> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'fixed', messages: [{ role: 'user', content: r.prompt }], stream: r.stream }),
  });
  r.requestId = res.headers.get('x-request-id');
  const body = await res.text();
  if (res.status !== 200) return;
  if (!r.stream) {
    const j = JSON.parse(body) as { choices: { message: { content: string } }[] };
    r.text = j.choices[0]!.message.content;
    r.received = true;
    return;
  }
  let text = '';
  let done = false;
  for (const ev of body.split('\n\n')) {
    const d = ev.startsWith('data: ') ? ev.slice(6) : '';
    if (d === '[DONE]') done = true;
    else if (d) text += (JSON.parse(d) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
  }
  r.text = text;
  r.received = done;
}

export async function runReplicaKill(o: ReplicaKillOptions): Promise<ReplicaKillResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-replicas-'));
  const children: Child[] = [];
  try {
    const draft = parseEngineSpec({ version: 2, tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: '0'.repeat(32) });
    const ekey = generateEngineKey(draft.engine, (n) => new Uint8Array(randomBytes(n)));
    const spec = parseEngineSpec({ version: 2, id: 'replicas', tokenizer: 'o200k_base', engine: { scheme: 'vllm/gumbel' }, keyFingerprint: ekey.fingerprint });
    const files = { spec: join(dir, 'spec.json'), key: join(dir, 'key.json'), keys: join(dir, 'keys.json') };
    const apiKey = `sk-${randomBytes(16).toString('hex')}`;
    writeFileSync(files.spec, JSON.stringify(spec));
    writeFileSync(files.key, JSON.stringify(exportEngineKeyFile(ekey, new Date())), { mode: 0o600 });
    writeFileSync(files.keys, JSON.stringify({ keys: [{ key: apiKey, account: 'load', accountId: 1 }] }), { mode: 0o600 });

    const upstream = await startNode(['-e', fakeUpstreamSource(o.eventDelayMs)]);
    children.push(upstream);
    const args = ['--spec', files.spec, '--key', files.key, '--keys', files.keys, '--ledger', o.databaseUrl, '--upstream', `${upstream.url}/v1`];
    const [a, b] = await Promise.all([startServe(args, o.env), startServe(args, o.env)]);
    children.push(a!, b!);

    const reqs: Req[] = [];
    const newReq = (replica: 'A' | 'B', stream: boolean, tag: string): Req => ({ replica, stream, prompt: `${replica}-${tag}-${randomBytes(4).toString('hex')}`, received: false, requestId: null, text: '', endedMs: 0 });
    // Warm-up (counted in requests and rows, not in throughput): the first requests of a
    // fresh process compile code and open connections.
    for (let i = 0; i < 6; i++) {
      for (const [replica, base] of [['A', a!.url], ['B', b!.url]] as const) {
        const r = newReq(replica, i % 2 === 0, `warm${i}`);
        reqs.push(r);
        await one(base, apiKey, r).catch(() => {});
        r.endedMs = -1;
      }
    }
    const t0 = performance.now();
    let killedAt = -1;
    let inFlightAtKill = 0;
    const inFlight = { A: 0, B: 0 };
    const worker = async (replica: 'A' | 'B', base: string, w: number): Promise<void> => {
      for (let i = 0; performance.now() - t0 < o.durationMs; i++) {
        if (replica === 'A' && killedAt >= 0) return; // the replica is gone: its clients stop
        const r = newReq(replica, (i + w) % 2 === 0, `${w}-${i}`);
        reqs.push(r);
        inFlight[replica]++;
        await one(base, apiKey, r).catch(() => {});
        r.endedMs = performance.now() - t0;
        inFlight[replica]--;
      }
    };
    const kill = new Promise<void>((resolve) =>
      setTimeout(() => {
        inFlightAtKill = inFlight.A;
        a!.proc.kill('SIGKILL');
        killedAt = performance.now() - t0;
        resolve();
      }, o.killAtMs),
    );
    await Promise.all([
      ...Array.from({ length: o.clientsPerReplica }, (_, w) => worker('A', a!.url, w)),
      ...Array.from({ length: o.clientsPerReplica }, (_, w) => worker('B', b!.url, w)),
      kill,
    ]);
    const durationMs = performance.now() - t0;
    await stopChild(b); // graceful: commits and closes its ledger
    const output = children.map((c) => c.output()).join('\n');

    const c = new pg.Client({ connectionString: o.databaseUrl });
    await c.connect();
    const rows = (await c.query<{ response_id: string; prompt_sha256: string; text_sha256: string; finish_reason: string }>(
      'SELECT response_id, prompt_sha256, text_sha256, finish_reason FROM responses ORDER BY seq',
    )).rows;
    await c.end();

    const byPrompt = new Map(reqs.map((r) => [sha256Hex(r.prompt), r]));
    const rowOf = new Map<Req, (typeof rows)[number]>();
    const violations: string[] = [];
    for (const row of rows) {
      const r = byPrompt.get(row.prompt_sha256);
      if (!r) violations.push(`row ${row.response_id} matches no request`);
      else if (rowOf.has(r)) violations.push(`request ${r.prompt} has two rows`);
      else rowOf.set(r, row);
    }
    const figures = (['A', 'B'] as const).map((replica): ReplicaFigures => {
      const mine = reqs.filter((r) => r.replica === replica);
      const received = mine.filter((r) => r.received);
      let missingRows = 0;
      let lostInFlight = 0;
      for (const r of mine) {
        const row = rowOf.get(r);
        if (r.received) {
          if (!row) missingRows++;
          else if (row.text_sha256 !== sha256Hex(r.text) || row.response_id !== r.requestId) violations.push(`row of ${r.prompt} does not match what its client received`);
        } else if (row) {
          if (replica === 'A' && row.finish_reason !== 'incomplete') lostInFlight++;
          else if (replica === 'B') violations.push(`survivor row ${row.response_id} for a response its client did not receive`);
        }
      }
      const done = (from: number, to: number): number => received.filter((r) => r.endedMs >= from && r.endedMs < to).length;
      return {
        replica,
        killed: replica === 'A',
        requests: mine.length,
        received: received.length,
        failed: mine.length - received.length,
        rows: mine.filter((r) => rowOf.has(r)).length,
        lostInFlight,
        missingRows,
        inFlightAtKill: replica === 'A' ? inFlightAtKill : 0,
        throughputBeforeKill: done(0, killedAt) / (killedAt / 1000),
        throughputAfterKill: replica === 'A' ? null : done(killedAt, Infinity) / ((durationMs - killedAt) / 1000),
      };
    });
    return {
      replicas: figures,
      rows: rows.length,
      violations,
      incompleteRows: rows.filter((r) => r.finish_reason === 'incomplete').length,
      passwordPrinted: (() => {
        const pw = new URL(o.databaseUrl).password;
        return pw.length > 0 && (output.includes(pw) || output.includes(decodeURIComponent(pw)));
      })(),
      durationMs,
    };
  } finally {
    for (const ch of children) ch.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
