/**
 * `tracemark demo`: the end-to-end story on embedded defaults (see demo/run.ts).
 */
import type { Command } from 'commander';
import { failure } from '@tracemark/detector';
import { eprintln, printJson } from '../io/output.js';
import { runDemo } from '../demo/run.js';
import type { DemoOutput } from '../schemas.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('end to end: watermarked API → cloner harvests with many accounts → distilled clone (and an innocent control) → probe → signed evidence report')
    .option('--out <dir>', 'output directory (default .tracemark-demo/<timestamp>)')
    .option('--quick', 'smaller sizes (about a third of the time)')
    .option('--json', 'stage lines on stderr; a JSON summary on stdout')
    .action(async (f: { out?: string; quick?: boolean; json?: boolean }) => {
      const r = await runDemo({
        ...(f.out !== undefined ? { out: f.out } : {}),
        quick: f.quick === true,
        ...(f.json ? { log: (l: string) => eprintln(l) } : {}),
      });
      if (f.json) printJson({ command: 'demo', ...r } satisfies DemoOutput);
      if (!r.verified) throw failure('the evidence bundle did not verify');
    });
}
