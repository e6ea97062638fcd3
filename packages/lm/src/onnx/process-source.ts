/**
 * Sources of the two helpers behind OnnxLanguageModel, as plain CommonJS strings
 * (so they run the same under tsx, vitest and the compiled package: no TypeScript
 * loader is needed where they run).
 *
 * Why a child process: onnxruntime-node 1.21 (the version transformers.js 3.8
 * pins) aborts the whole process ("HandleScope::HandleScope Entering the V8 API
 * without proper locking in place", microsoft/onnxruntime#24486) as soon as
 * ONNX sessions run in more than one thread of a process. Running the model in a
 * process of its own keeps it apart from any transformers.js the caller runs.
 * Why a relay thread: the caller blocks in Atomics.wait during a synchronous call,
 * so a thread of its own must receive the child's answer and wake it.
 *
 *   caller ──(MessagePort + Atomics)── relay thread ──(IPC, structured clone)── model process
 *
 * Requests: { seq, op: 'init', transformersPath, dir, dtype, modelFileName } (seq 0),
 *           { seq, op: 'logits', tokens: Int32Array }, { seq, op: 'dispose' }.
 * Replies:  { seq, ok: true, logits? , info? } or { seq, ok: false, error }.
 * The relay answers on the port a request came in on; after a reply on the
 * synchronous port it increments ctrl[0] and notifies it.
 */

/** The model process: loads the model with transformers.js and answers logits requests. */
export const CHILD_SOURCE = String.raw`
'use strict';
// Local files only: besides transformers.js's own switches, no fetch can leave this process.
globalThis.fetch = () => Promise.reject(new Error('network access is disabled in the tracemark ONNX model process'));
let T = null, model = null, hasCache = false;
let cache = null; // { tokens: Int32Array, past: object, last: Float32Array }
let chain = Promise.resolve();

const firstLine = (e) => String(e && e.message ? e.message : e).split('\n')[0];
const startsWith = (a, b, n) => { for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false; return true; };
function int64(tokens) {
  const out = new BigInt64Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) out[i] = BigInt(tokens[i]);
  return out;
}

async function init(m) {
  T = require(m.transformersPath);
  T.env.allowRemoteModels = false;
  T.env.allowLocalModels = true;
  const options = { local_files_only: true, dtype: m.dtype };
  if (m.modelFileName) options.model_file_name = m.modelFileName;
  model = await T.AutoModelForCausalLM.from_pretrained(m.dir, options);
  const session = model.sessions && model.sessions.model;
  if (!session) throw new Error('the model has no decoder session (is it a decoder-only causal LM?)');
  const inputNames = Array.from(session.inputNames);
  hasCache = inputNames.some((n) => n.startsWith('past_'));
  return { hasCache, inputNames, outputNames: Array.from(session.outputNames), pid: process.pid };
}

// Logits after tokens; reuses the key/value cache when tokens extend the last sequence.
async function nextTokenLogits(tokens) {
  if (!model) throw new Error('the model is not loaded');
  const n = tokens.length;
  let start = 0, past = null;
  if (hasCache && cache) {
    const m = cache.tokens.length;
    if (m === n && startsWith(cache.tokens, tokens, n)) return cache.last.slice();
    if (m < n && startsWith(cache.tokens, tokens, m)) { start = m; past = cache.past; }
  }
  cache = null;
  const fresh = tokens.subarray(start);
  const inputs = {
    input_ids: new T.Tensor('int64', int64(fresh), [1, fresh.length]),
    attention_mask: new T.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  };
  if (past) inputs.past_key_values = past;
  const out = await model.forward(inputs);
  let lg = out.logits;
  if (!lg || !lg.dims || lg.dims.length !== 3) throw new Error('the model has no [batch, sequence, vocab] "logits" output');
  if (lg.type !== 'float32') lg = lg.to('float32');
  const V = lg.dims[2];
  const last = Float32Array.from(lg.data.subarray(lg.data.length - V));
  if (hasCache) cache = { tokens: tokens.slice(), past: model.getPastKeyValues(out, past), last };
  return last.slice();
}

async function handle(m) {
  try {
    if (m.op === 'init') process.send({ seq: m.seq, ok: true, info: await init(m) });
    else if (m.op === 'logits') process.send({ seq: m.seq, ok: true, logits: await nextTokenLogits(m.tokens) });
    else if (m.op === 'dispose') {
      cache = null;
      if (model) await model.dispose();
      model = null;
      process.send({ seq: m.seq, ok: true }, () => process.exit(0));
    } else throw new Error('unknown request ' + JSON.stringify(m.op));
  } catch (e) {
    process.send({ seq: m.seq, ok: false, error: firstLine(e) });
  }
}

process.on('message', (m) => { chain = chain.then(() => handle(m)); });
process.on('disconnect', () => process.exit(0));
`;

/** The relay thread: spawns the model process and routes requests and replies. */
export const RELAY_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { ctrl, syncPort, asyncPort, childSource, init } = workerData;
const counter = new Int32Array(ctrl);
const route = new Map(); // seq → port the answer goes to
let dead = null;

function deliver(port, msg) {
  port.postMessage(msg);
  if (port === syncPort) {
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  }
}
function die(reason) {
  if (dead) return;
  dead = reason;
  for (const [seq, port] of route) deliver(port, { seq, ok: false, error: reason });
  route.clear();
}

const child = spawn(process.execPath, ['-e', childSource], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  serialization: 'advanced',
  windowsHide: true,
});
child.on('message', (r) => {
  const port = route.get(r.seq);
  if (!port) return;
  route.delete(r.seq);
  deliver(port, r);
});
child.on('error', (e) => die('the ONNX model process failed: ' + String(e && e.message).split('\n')[0]));
child.on('exit', (code, signal) => die('the ONNX model process exited (' + (signal ? 'signal ' + signal : 'code ' + code) + ')'));

for (const port of [syncPort, asyncPort]) {
  port.on('message', (m) => {
    if (dead) return deliver(port, { seq: m.seq, ok: false, error: dead });
    route.set(m.seq, port);
    try {
      child.send(m, (err) => { if (err) die('the ONNX model process is unreachable: ' + String(err.message).split('\n')[0]); });
    } catch (e) {
      die('the ONNX model process is unreachable: ' + String(e && e.message).split('\n')[0]);
    }
  });
}
route.set(0, asyncPort);
child.send(Object.assign({ seq: 0, op: 'init' }, init), (err) => { if (err) die('cannot start the ONNX model process: ' + err.message); });
`;
