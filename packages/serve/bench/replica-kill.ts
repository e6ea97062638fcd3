/**
 * Two proxy replicas on one PostgreSQL ledger, kill -9 of one mid-load (replica-kill-run.ts):
 * prints requests, rows, received, lost in flight and throughput per replica (before and
 * after the kill; 6 warm-up requests per replica count as requests and rows, not in throughput).
 *
 *   node --conditions=source --import tsx packages/serve/bench/replica-kill.ts \
 *     [--clients 4] [--duration 4000] [--kill-at 2000] [--event-delay 3] [--runs 1]
 *
 * Starts its own throwaway PostgreSQL (test/helpers/postgres.ts; Debian's postgresql
 * binaries), fsync and synchronous_commit on. Exits 1 if a received response has no row
 * or any other rule is broken.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startPostgres } from '../test/helpers/postgres.js';
import { runReplicaKill } from './replica-kill-run.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '4' },
    duration: { type: 'string', default: '4000' },
    'kill-at': { type: 'string', default: '2000' },
    'event-delay': { type: 'string', default: '3' },
    runs: { type: 'string', default: '1' },
  },
});

const pgServer = await startPostgres();
let bad = false;
try {
  const load0 = loadavg();
  console.log('| run | replica | killed | requests | received | failed | rows | lost in flight | missing rows | in flight at kill | received/s before kill | received/s after kill |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (let run = 1; run <= Number(args.runs); run++) {
    const r = await runReplicaKill({
      databaseUrl: await pgServer.createDatabase(`replicas_${run}`),
      clientsPerReplica: Number(args.clients),
      durationMs: Number(args.duration),
      killAtMs: Number(args['kill-at']),
      eventDelayMs: Number(args['event-delay']),
    });
    for (const f of r.replicas) {
      console.log(`| ${run} | ${f.replica} | ${f.killed ? `kill -9 at ${args['kill-at']} ms` : 'no'} | ${f.requests} | ${f.received} | ${f.failed} | ${f.rows} | ${f.lostInFlight} | ${f.missingRows} | ${f.killed ? f.inFlightAtKill : '—'} | ${f.throughputBeforeKill.toFixed(0)} | ${f.throughputAfterKill === null ? '—' : f.throughputAfterKill.toFixed(0)} |`);
      if (f.missingRows > 0) bad = true;
    }
    if (r.violations.length > 0 || r.passwordPrinted) {
      bad = true;
      console.log(`run ${run}: ${r.violations.length} violations${r.passwordPrinted ? ', the database password was printed' : ''}: ${r.violations.slice(0, 5).join('; ')}`);
    }
    console.log(`run ${run}: ${r.rows} ledger rows (${r.incompleteRows} incomplete), load ${(r.durationMs / 1000).toFixed(1)} s`);
  }
  const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nload average before: ${la(load0)}; after: ${la(loadavg())} (1, 5, 15 min)`);
} finally {
  pgServer.stop();
}
process.exit(bad ? 1 : 0);
