/**
 * The investigation commands (keygen, spec, generate, detect, scan, worker, probe, report,
 * verify, demo), registered on the `tracemark` program by bin.ts.
 */
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerDetect } from './detect.js';
import { registerGenerate } from './generate.js';
import { registerKeygen } from './keygen.js';
import { registerProbe } from './probe.js';
import { registerReport } from './report.js';
import { registerScan } from './scan.js';
import { registerSpec } from './spec.js';
import { registerVerify } from './verify.js';
import { registerPlan } from './plan.js';
import { registerAttribute } from './attribute.js';
import { registerRadioactivity } from './radioactivity.js';
import { registerWorker } from './worker.js';

export function registerCommands(program: Command): void {
  registerKeygen(program);
  registerSpec(program);
  registerGenerate(program);
  registerDetect(program);
  registerScan(program);
  registerWorker(program);
  registerProbe(program);
  registerReport(program);
  registerVerify(program);
  registerDemo(program);
  registerBench(program);
  registerRadioactivity(program);
  registerPlan(program);
  registerAttribute(program);
}
