/**
 * bench/scan.ts's 2-thread tokenize-only row: tokenizes its share of the documents once to
 * warm up, says 'ready', and on 'go' tokenizes them again and posts the milliseconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Tokenizer } from '../src/index.js';

const { docs, tokenizer } = workerData as { docs: string[]; tokenizer: string };
const tk = new Tokenizer(tokenizer);
for (const d of docs) tk.encode(d);
parentPort!.postMessage('ready');
parentPort!.on('message', () => {
  const t0 = performance.now();
  for (const d of docs) tk.encode(d);
  parentPort!.postMessage(performance.now() - t0);
});
