/** Runs a list of the grid's jobs (by index into gridJobs) in this thread. */
import { runAttribution } from './attribution.js';
import { runSchemeJob } from './cells.js';
import { gridJobs } from './definition.js';
import { runInnocent } from './sequential.js';
import type { GridSimulation } from './simulation.js';
import type { JobResults } from './types.js';

export function runJobs(sim: GridSimulation, list: readonly number[]): JobResults {
  const all = gridJobs(sim.sizes);
  const res: JobResults = { grid: [], attribution: null, innocent: [] };
  for (const j of list) {
    const job = all[j];
    if (!job) throw new RangeError(`no grid job ${j} (there are ${all.length})`);
    if (job.kind === 'grid') res.grid.push(runSchemeJob(sim, job.scheme, job.h));
    else {
      res.innocent = runInnocent(sim);
      res.attribution = runAttribution(sim);
    }
  }
  return res;
}
