/**
 * Worker thread of the radioactivity grid: runs its share of the jobs (run.ts) and posts
 * back log lines, then the results as JSON text (exactly what a JSON file between
 * processes would carry).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GridSizes } from './definition.js';
import { runJobs } from './jobs.js';
import { GridSimulation } from './simulation.js';

export interface GridWorkerData {
  sizes: GridSizes;
  jobs: number[];
  profile: boolean;
}

export type GridWorkerMessage = { log: string } | { results: string };

const port = parentPort;
if (port) {
  const data = workerData as GridWorkerData;
  const post = (m: GridWorkerMessage): void => port.postMessage(m);
  const sim = new GridSimulation(data.sizes, { log: (s) => post({ log: s }), profile: data.profile });
  post({ results: JSON.stringify(runJobs(sim, data.jobs)) });
}
