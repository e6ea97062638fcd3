/**
 * Runs benchmark tasks in N worker threads (or in this thread for N = 0).
 * Tasks are deterministic, so results do not depend on N or on scheduling;
 * outputs come back in the order the tasks were given.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '@tracemark/detector';
import { runTask, type Task } from './tasks.js';
import type { BenchConfig } from './types.js';
import type { ResultMessage, TaskMessage } from './worker.js';

export type { Task };

export interface Pool {
  run<T>(tasks: Task[], onDone?: (i: number) => void): Promise<T[]>;
  close(): Promise<void>;
}

export function createPool(config: BenchConfig, workers: number): Pool {
  if (workers <= 0) {
    return {
      async run<T>(tasks: Task[], onDone?: (i: number) => void): Promise<T[]> {
        const out: T[] = [];
        for (let i = 0; i < tasks.length; i++) {
          out.push((await runTask(config, tasks[i]!)) as T);
          onDone?.(i);
        }
        return out;
      },
      async close() {},
    };
  }
  const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  const threads: Worker[] = [];
  const live = (): Worker => {
    const w = startWorker(entry, null);
    threads.push(w);
    return w;
  };
  for (let i = 0; i < workers; i++) live();
  let nextId = 0;
  return {
    run<T>(tasks: Task[], onDone?: (i: number) => void): Promise<T[]> {
      return new Promise<T[]>((resolve, reject) => {
        const out = new Array<T>(tasks.length);
        let next = 0, done = 0, failed = false;
        const cleanups: (() => void)[] = [];
        const finish = (err?: Error): void => {
          if (failed) return;
          if (err) failed = true;
          if (err || done === tasks.length) {
            cleanups.forEach((f) => f());
            if (err) reject(err);
            else resolve(out);
          }
        };
        const feed = (w: Worker): void => {
          if (failed || next >= tasks.length) return;
          const i = next++;
          const id = nextId++;
          const onMsg = (m: ResultMessage): void => {
            if (m.id !== id) return;
            w.off('message', onMsg);
            if (!m.ok) return finish(new Error(m.error));
            out[i] = m.value as T;
            done++;
            onDone?.(i);
            if (done === tasks.length) finish();
            else feed(w);
          };
          w.on('message', onMsg);
          w.postMessage({ ...tasks[i]!, id, config } as TaskMessage);
        };
        for (const w of threads) {
          const onErr = (e: Error): void => finish(new Error(`benchmark worker failed: ${e.message}`));
          const onExit = (code: number): void => {
            if (done < tasks.length) finish(new Error(`benchmark worker exited (code ${code}) before finishing`));
          };
          w.on('error', onErr);
          w.on('exit', onExit);
          cleanups.push(() => {
            w.off('error', onErr);
            w.off('exit', onExit);
          });
          feed(w);
        }
        if (tasks.length === 0) resolve(out);
      });
    },
    async close() {
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
