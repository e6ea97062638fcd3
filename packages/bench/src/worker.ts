/**
 * Worker thread of the benchmark pool: runs tasks (tasks.ts) sent by pool.ts
 * and posts their outputs back. The model and the corpora are loaded once per
 * worker, on first use.
 */
import { parentPort } from 'node:worker_threads';
import { runTask, type Task } from './tasks.js';
import type { BenchConfig } from './types.js';

export type TaskMessage = Task & { id: number; config: BenchConfig };
export type ResultMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const port = parentPort;
if (port) {
  port.on('message', (m: TaskMessage | 'exit') => {
    if (m === 'exit') {
      port.close();
      return;
    }
    void (async () => {
      try {
        const value = await runTask(m.config, m);
        port.postMessage({ id: m.id, ok: true, value } satisfies ResultMessage);
      } catch (e) {
        port.postMessage({ id: m.id, ok: false, error: (e as Error)?.message ?? String(e) } satisfies ResultMessage);
      }
    })();
  });
}
