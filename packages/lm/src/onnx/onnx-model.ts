/**
 * A LanguageModel backed by a local ONNX causal LM through @huggingface/transformers.
 *
 * ONNX Runtime only runs asynchronously in JavaScript, while the LanguageModel
 * contract (`distribution`, `logits`) is synchronous so that one generation loop
 * drives every backend. The model therefore runs in a child process of its own
 * (process-source.ts says why not a thread); a synchronous call posts the request
 * and blocks on Atomics.wait until a relay thread hands it the answer (well under a
 * millisecond for the tiny test model; ~2 ms to move 200k logits, against a forward
 * pass of a real model). The `*Async` methods use the same process without blocking.
 *
 * The model process keeps the key/value cache of the last sequence, so a
 * generation loop that extends its prefix by one token per step runs one token
 * per forward pass.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { SamplingOptions, SparseDistribution } from '@tracemark/watermark';
import type { TokenDecoder } from '../generate.js';
import type { LanguageModel } from '../types.js';
import {
  checkTokenizerId,
  configureLocalOnly,
  defaultTokenizerId,
  firstLine,
  inspectModelDir,
  loadLocalTokenizer,
  type LocalModelOptions,
  type OnnxDtype,
} from './local.js';
import { DEFAULT_TAIL_MASS, sparseFromLogits } from './sparse.js';
import { CHILD_SOURCE, RELAY_SOURCE } from './process-source.js';

export interface OnnxModelOptions extends LocalModelOptions {
  /** Tokenizer id recorded in the spec; must be "hf:<name>". Default "hf:<directory name>". */
  tokenizerId?: string;
  /** Model id. Default "onnx:<directory name>". */
  id?: string;
  /** Longest a synchronous call waits for the model process before failing. Default 120 000 ms. */
  timeoutMs?: number;
  /** Unlisted probability mass allowed in `distribution()` without top-k/top-p. Default 1e-12. */
  tailMass?: number;
}

interface Reply {
  seq: number;
  ok: boolean;
  error?: string;
  logits?: Float32Array;
  info?: { hasCache: boolean; inputNames: string[]; outputNames: string[]; pid: number };
}

type Request = { op: 'logits'; tokens: Int32Array } | { op: 'dispose' };

/** Resolved once: the CommonJS build of transformers.js, which the model process `require`s. */
function transformersPath(): string {
  return createRequire(import.meta.url).resolve('@huggingface/transformers');
}

/**
 * The model process (see process-source.ts for why a process and not a thread)
 * and the relay thread that lets a synchronous call block until it answers.
 */
class ModelProcess {
  readonly #relay: Worker;
  readonly #syncPort: MessagePort;
  readonly #asyncPort: MessagePort;
  readonly #counter: Int32Array;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #seq = 1;
  #dead: string | null = null;
  /** Settles with the model process's load result (seq 0). */
  readonly ready: Promise<Reply>;

  constructor(init: { dir: string; dtype: OnnxDtype; modelFileName: string; timeoutMs: number }) {
    this.#timeoutMs = init.timeoutMs;
    const ctrl = new SharedArrayBuffer(4);
    this.#counter = new Int32Array(ctrl);
    const sync = new MessageChannel();
    const asyncCh = new MessageChannel();
    this.#syncPort = sync.port1;
    this.#asyncPort = asyncCh.port1;
    this.ready = new Promise<Reply>((resolve, reject) => this.#pending.set(0, { resolve, reject }));
    this.#relay = new Worker(RELAY_SOURCE, {
      eval: true,
      workerData: {
        ctrl,
        syncPort: sync.port2,
        asyncPort: asyncCh.port2,
        childSource: CHILD_SOURCE,
        init: { transformersPath: transformersPath(), dir: init.dir, dtype: init.dtype, modelFileName: init.modelFileName },
      },
      transferList: [sync.port2, asyncCh.port2],
    });
    this.#asyncPort.on('message', (r: Reply) => {
      const p = this.#pending.get(r.seq);
      if (!p) return;
      this.#pending.delete(r.seq);
      if (this.#pending.size === 0) this.#asyncPort.unref();
      p.resolve(r);
    });
    this.#relay.on('error', (e) => this.#fail(`the ONNX relay thread failed: ${firstLine(e)}`));
    this.#relay.on('exit', (code) => this.#fail(`the ONNX relay thread exited (code ${code})`));
    // An idle model must not keep the process alive; a pending async call does (ref in callAsync).
    this.#relay.unref();
    this.#syncPort.unref();
  }

  #fail(reason: string): void {
    this.#dead ??= reason;
    for (const p of this.#pending.values()) p.reject(new Error(this.#dead));
    this.#pending.clear();
    this.#asyncPort.unref();
  }

  callSync(tokens: Int32Array): Float32Array {
    if (this.#dead) throw new Error(this.#dead);
    const seq = this.#seq++;
    this.#syncPort.postMessage({ seq, op: 'logits', tokens });
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.#counter, 0);
      const got = receiveMessageOnPort(this.#syncPort);
      if (got) {
        const r = got.message as Reply;
        if (r.seq !== seq) continue; // the late answer to a call that timed out
        if (!r.ok) throw new Error(`ONNX forward pass failed: ${r.error}`);
        return r.logits!;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the ONNX model process did not answer within ${this.#timeoutMs} ms`);
      Atomics.wait(this.#counter, 0, seen, Math.min(left, 1000));
    }
  }

  async callAsync(msg: Request): Promise<Reply> {
    if (this.#dead) throw new Error(this.#dead);
    const seq = this.#seq++;
    const r = await new Promise<Reply>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#asyncPort.ref();
      this.#asyncPort.postMessage({ seq, ...msg });
    });
    if (!r.ok) throw new Error(msg.op === 'logits' ? `ONNX forward pass failed: ${r.error}` : `${msg.op} failed: ${r.error}`);
    return r;
  }

  async close(): Promise<void> {
    if (this.#dead) return;
    try {
      await this.callAsync({ op: 'dispose' });
    } finally {
      this.#dead = 'the ONNX language model was disposed';
      await this.#relay.terminate();
    }
  }
}

export class OnnxLanguageModel implements LanguageModel {
  readonly id: string;
  /** Spec tokenizer id: "hf:<name>". */
  readonly tokenizer: string;
  /** Length of the logits vector (the model's output vocabulary). */
  readonly vocabSize: number;
  /** config.max_position_embeddings (or n_positions), when the config states it. */
  readonly maxContext?: number;
  /** config.bos_token_id: the context used for an empty prefix. */
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  /** The first of eosTokenIds: the generation loop stops when it is drawn. */
  readonly eos?: number;
  /** Whether the ONNX graph takes past_key_values (incremental decoding). */
  readonly hasKvCache: boolean;
  /** Process id of the model process (diagnostics). */
  readonly pid: number;
  /** The graph's input names, as ONNX Runtime reports them. */
  readonly inputNames: readonly string[];
  readonly dir: string;
  readonly dtype: OnnxDtype;
  /** The model's own tokenizer (transformers.js), loaded in this thread. */
  readonly hfTokenizer: PreTrainedTokenizer;
  readonly #proc: ModelProcess;
  readonly #tailMass: number;

  private constructor(init: {
    id: string;
    tokenizer: string;
    vocabSize: number;
    maxContext: number | undefined;
    bosTokenId: number | null;
    eosTokenIds: number[];
    hasKvCache: boolean;
    pid: number;
    inputNames: string[];
    dir: string;
    dtype: OnnxDtype;
    hfTokenizer: PreTrainedTokenizer;
    proc: ModelProcess;
    tailMass: number;
  }) {
    this.id = init.id;
    this.tokenizer = init.tokenizer;
    this.vocabSize = init.vocabSize;
    if (init.maxContext !== undefined) this.maxContext = init.maxContext;
    this.bosTokenId = init.bosTokenId;
    this.eosTokenIds = Object.freeze(init.eosTokenIds.slice());
    if (init.eosTokenIds[0] !== undefined) this.eos = init.eosTokenIds[0];
    this.hasKvCache = init.hasKvCache;
    this.pid = init.pid;
    this.inputNames = Object.freeze(init.inputNames.slice());
    this.dir = init.dir;
    this.dtype = init.dtype;
    this.hfTokenizer = init.hfTokenizer;
    this.#proc = init.proc;
    this.#tailMass = init.tailMass;
  }

  /** Use `loadOnnxLanguageModel`. */
  static async create(dir: string, options: OnnxModelOptions = {}): Promise<OnnxLanguageModel> {
    const info = inspectModelDir(dir, options);
    const tokenizerId = checkTokenizerId(options.tokenizerId ?? defaultTokenizerId(info.dir));
    const timeoutMs = options.timeoutMs ?? 120_000;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new Error(`timeoutMs must be > 0, got ${timeoutMs}`);
    const tailMass = options.tailMass ?? DEFAULT_TAIL_MASS;
    if (!(tailMass > 0 && tailMass < 1)) throw new Error(`tailMass must be in (0, 1), got ${tailMass}`);
    configureLocalOnly();
    const hfTokenizer = await loadLocalTokenizer(info.dir);

    const proc = new ModelProcess({ dir: info.dir, dtype: info.dtype, modelFileName: info.modelFileName, timeoutMs });
    const ready = await proc.ready.catch((e: Error): Reply => ({ seq: 0, ok: false, error: e.message }));
    if (!ready.ok || !ready.info) {
      await proc.close().catch(() => {});
      throw new Error(`cannot load the ONNX model in ${info.dir}: ${ready.error ?? 'unknown error'}`);
    }
    const cfg = info.config;
    const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
    const eos = (Array.isArray(cfg.eos_token_id) ? cfg.eos_token_id : [cfg.eos_token_id]).map(num).filter((x) => x !== undefined);
    const bos = num(cfg.bos_token_id) ?? null;
    // One forward pass proves the graph runs and fixes the logits length.
    let probe: Reply;
    try {
      probe = await proc.callAsync({ op: 'logits', tokens: Int32Array.of(bos ?? 0) });
    } catch (e) {
      await proc.close().catch(() => {});
      throw new Error(`the ONNX model in ${info.dir} loads but does not run: ${firstLine(e)}`);
    }
    return new OnnxLanguageModel({
      id: options.id ?? `onnx:${tokenizerId.slice(3)}`,
      tokenizer: tokenizerId,
      vocabSize: probe.logits!.length,
      maxContext: num(cfg.max_position_embeddings) ?? num(cfg.n_positions) ?? num(cfg.max_sequence_length),
      bosTokenId: bos,
      eosTokenIds: eos,
      hasKvCache: ready.info.hasCache,
      pid: ready.info.pid,
      inputNames: ready.info.inputNames,
      dir: info.dir,
      dtype: info.dtype,
      hfTokenizer,
      proc,
      tailMass,
    });
  }

  // -- LanguageModel ---------------------------------------------------------

  /** Next-token logits after prefix[0, prefixLength): a fresh Float32Array of length vocabSize (blocking). */
  logits(prefix: ArrayLike<number>, prefixLength: number): Float32Array {
    return this.#proc.callSync(this.#tokens(prefix, prefixLength));
  }

  /** The model's next-token distribution, tempered and truncated by `opts` (blocking). */
  distribution(prefix: ArrayLike<number>, prefixLength: number, opts: SamplingOptions = {}): SparseDistribution {
    return sparseFromLogits(this.logits(prefix, prefixLength), opts, this.#tailMass);
  }

  // -- asynchronous twins ----------------------------------------------------

  async logitsAsync(prefix: ArrayLike<number>, prefixLength: number): Promise<Float32Array> {
    const r = await this.#proc.callAsync({ op: 'logits', tokens: this.#tokens(prefix, prefixLength) });
    return r.logits!;
  }

  async distributionAsync(prefix: ArrayLike<number>, prefixLength: number, opts: SamplingOptions = {}): Promise<SparseDistribution> {
    return sparseFromLogits(await this.logitsAsync(prefix, prefixLength), opts, this.#tailMass);
  }

  // -- the model's own tokenizer ---------------------------------------------

  /** Token ids of `text` without special tokens (no BOS/EOS are added). */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw new Error('encode expects a string');
    return this.hfTokenizer.encode(text, { add_special_tokens: false });
  }

  decode(tokens: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    const ids = Array.from(tokens, (t) => this.#checkToken(t));
    return this.hfTokenizer.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? true });
  }

  /**
   * Incremental decoder for the generation loop (`generate({ decoder })`): each push
   * returns the text the token adds, decoded together with the tokens before it (a
   * window of `context` tokens) so that spacing and merges come out as in a full
   * decode; a token that leaves an incomplete UTF-8 character (U+FFFD at the end)
   * is held back until the next one completes it.
   */
  streamDecoder(opts: { context?: number } = {}): TokenDecoder {
    const k = opts.context ?? 8;
    if (!Number.isInteger(k) || k < 1) throw new Error(`decoder context must be an integer ≥ 1, got ${k}`);
    const window: number[] = [];
    let pending: number[] = [];
    const diff = (final: boolean): string => {
      const base = window.length ? this.decode(window) : '';
      const full = this.decode([...window, ...pending]);
      if (!final && full.endsWith('\uFFFD')) return '';
      let common = 0;
      while (common < base.length && base.charCodeAt(common) === full.charCodeAt(common)) common++;
      window.push(...pending);
      pending = [];
      if (window.length > k) window.splice(0, window.length - k);
      return full.slice(common);
    };
    return {
      push: (token: number): string => {
        pending.push(this.#checkToken(token));
        return diff(false);
      },
      flush: (): string => (pending.length ? diff(true) : ''),
    };
  }

  /** Stop the model process; later calls fail with a clear error. */
  dispose(): Promise<void> {
    return this.#proc.close();
  }

  // -- internals -------------------------------------------------------------

  #checkToken(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) {
      throw new Error(`token id ${t} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    return t;
  }

  #tokens(prefix: ArrayLike<number>, prefixLength: number): Int32Array {
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > prefix.length) {
      throw new Error(`prefixLength ${prefixLength} is not in 0..${prefix.length}`);
    }
    if (prefixLength === 0) {
      if (this.bosTokenId === null) throw new Error(`${this.id} has no bos_token_id, so it needs at least one context token`);
      return Int32Array.of(this.bosTokenId);
    }
    if (this.maxContext !== undefined && prefixLength > this.maxContext) {
      throw new Error(`a prefix of ${prefixLength} tokens exceeds the model's context of ${this.maxContext} tokens`);
    }
    const out = new Int32Array(prefixLength);
    for (let i = 0; i < prefixLength; i++) out[i] = this.#checkToken(prefix[i]!);
    return out;
  }
}

/**
 * Load a local transformers.js-format causal LM directory (config.json,
 * tokenizer.json, tokenizer_config.json, onnx/model.onnx) as a LanguageModel.
 * Remote loading is switched off; a missing file is an error, never a download.
 */
export function loadOnnxLanguageModel(dir: string, options: OnnxModelOptions = {}): Promise<OnnxLanguageModel> {
  return OnnxLanguageModel.create(dir, options);
}
