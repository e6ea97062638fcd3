// SynthID-Text tournament sampling in its two flavours, with the processors' shared state
// (HF SynthIDTextWatermarkLogitsProcessor and google-deepmind/synthid-text
// SynthIDLogitsProcessor.watermarked_call):
// - the context starts as n-1 zeros and takes each generated token after the first call
//   (prompt tokens never enter);
// - optional skip_first_ngram_calls: calls 1..n-1 are left alone (and not recorded);
// - the context hash (LCG over the n-1 context tokens) is compared with the last
//   `historySize` hashes, a shift register that starts full of 0: a repeat is sampled
//   without the watermark; the hash is recorded either way;
// - otherwise p ← p · (1 + g_l − E_p[g_l]) for every layer l, then an ordinary draw.
// HF reweights the whole (truncated) distribution with g from its bit table; synthid-text
// first keeps the top_k candidates and uses its IV + 12-round g.
import { hfSynthidBitsWasm } from '../../kernel/engine-kernel.js';
import type { Rng } from '../../sampling/types.js';
import { hfSynthidTable, lcgStepWords, synthidTextGWords, synthidTextIv } from '../synthid.js';
import { i64, i64FromBigInt, i64FromInt32, type I64 } from '../u64.js';
import {
  engineCandidates,
  drawIndex,
  rankByProb,
  tournamentReweight,
  type Candidates,
  type EngineDistribution,
  type EngineSampler,
  type EngineStep,
} from './common.js';

const ONE = i64(0, 1);

export type SynthidFlavourName = 'hf' | 'synthid_text';

export interface SynthidEmbedOptions {
  readonly flavour: SynthidFlavourName;
  /** One key per tournament layer (watermarking keys, as the config lists them). */
  readonly keys: readonly (number | bigint)[];
  /** n, default 5. */
  readonly ngramLen?: number;
  /** context_history_size, default 1024. */
  readonly historySize?: number;
  readonly skipFirstNgramCalls?: boolean;
  /** HF: sampling table size (power of two, default 2^16) and seed (default 0). */
  readonly samplingTableSize?: number;
  readonly samplingTableSeed?: number;
  /** synthid_text: top_k (> 1, required); the tournament runs on the top_k candidates only. */
  readonly topK?: number;
}

/** Per-candidate g-values of one step: g(i, l) for candidate i and layer l, plus the context hash. */
export interface SynthidStepReading {
  readonly contextHash: I64;
  readonly g: Uint8Array; // candidate-major, depth per candidate
  readonly depth: number;
  /** The same bits as words: g(i, l) = bit l of hi[i]·2^32 + lo[i] (depth ≤ 64; what the WebAssembly tournament reads). */
  readonly packed?: { lo: Int32Array; hi: Int32Array };
}

/** A flavour's keys, hash start and (HF) table, prepared once per sampler. */
export interface SynthidPrepared {
  readonly flavour: SynthidFlavourName;
  readonly keyWords: I64[];
  readonly start: I64;
  readonly table: Uint32Array | null;
}

export function prepareSynthid(flavour: SynthidFlavourName, keys: readonly (number | bigint)[], table?: Uint32Array): SynthidPrepared {
  if (flavour === 'hf' && (!table || (table.length & (table.length - 1)) !== 0)) throw new RangeError('HF SynthID needs a sampling table of power-of-two size');
  return {
    flavour,
    keyWords: keys.map((k) => i64FromBigInt(BigInt(k))),
    start: flavour === 'hf' ? ONE : i64FromBigInt(synthidTextIv(keys as number[])),
    table: flavour === 'hf' ? table! : null,
  };
}

// Low word of the LCG multiplier 6364136223846793005: HF's g = table[h_l mod size] with
// size <= 2^32 needs only the low 32 bits of h_l, and the low word of (h + x) * A + 1
// depends only on the low words of h and x.
const A_LO = 0x4c957f2d;

/** g-values of `ids` after `context` (n-1 tokens): the hot path of both flavours. */
export function synthidReadPrepared(p: SynthidPrepared, context: readonly number[], ids: Int32Array): SynthidStepReading {
  let h = p.start;
  for (const t of context) h = lcgStepWords(h, i64FromInt32(t));
  const depth = p.keyWords.length;
  const g = new Uint8Array(ids.length * depth);
  const pack = depth <= 64;
  const lo = new Int32Array(pack ? ids.length : 0);
  const hi = new Int32Array(pack ? ids.length : 0);
  if (p.table && pack && ids.length >= 256 && hfBitsWasm(h.lo, p, ids, g, lo, hi)) {
    // the same bits from one WebAssembly call (kernel/engine-kernel.ts hfSynthidBitsWasm)
  } else if (p.table) {
    const table = p.table;
    const mask = table.length - 1;
    const kLo = Int32Array.from(p.keyWords, (k) => k.lo | 0);
    for (let i = 0; i < ids.length; i++) {
      const ht = (Math.imul((h.lo + ids[i]!) | 0, A_LO) + 1) | 0;
      let a = 0, b = 0;
      for (let l = 0; l < depth; l++) {
        const bit = table[(Math.imul((ht + kLo[l]!) | 0, A_LO) + 1) & mask]!;
        g[i * depth + l] = bit;
        if (l < 32) a |= bit << l;
        else b |= bit << (l - 32);
      }
      if (pack) {
        lo[i] = a;
        hi[i] = b;
      }
    }
  } else {
    for (let i = 0; i < ids.length; i++) {
      const ht = lcgStepWords(h, i64FromInt32(ids[i]!));
      let a = 0, b = 0;
      for (let l = 0; l < depth; l++) {
        const bit = synthidTextGWords(lcgStepWords(ht, p.keyWords[l]!));
        g[i * depth + l] = bit;
        if (l < 32) a |= bit << l;
        else b |= bit << (l - 32);
      }
      if (pack) {
        lo[i] = a;
        hi[i] = b;
      }
    }
  }
  return pack ? { contextHash: h, g, depth, packed: { lo, hi } } : { contextHash: h, g, depth };
}

/** HF's g-values in WebAssembly; false where it is unavailable (the caller computes them in JavaScript). */
function hfBitsWasm(hLo: number, p: SynthidPrepared, ids: Int32Array, g: Uint8Array, lo: Int32Array, hi: Int32Array): boolean {
  try {
    hfSynthidBitsWasm(ids, hLo, Int32Array.from(p.keyWords, (k) => k.lo | 0), p.table!, g, lo, hi);
    return true;
  } catch {
    return false; // no WebAssembly here (a browser page whose CSP refuses it)
  }
}

/** The same, preparing the keys on each call (for one-off readings). */
export function synthidReadStep(
  flavour: SynthidFlavourName,
  keys: readonly (number | bigint)[],
  context: readonly number[],
  ids: Int32Array,
  table?: Uint32Array,
): SynthidStepReading {
  return synthidReadPrepared(prepareSynthid(flavour, keys, table), context, ids);
}

export interface SynthidSampler extends EngineSampler {
  /** The n-1 tokens the next call will use as context. */
  context(): number[];
}

function restrict(c: Candidates, order: number[]): Candidates {
  const n = order.length;
  const ids = new Int32Array(n);
  const logits = new Float64Array(n);
  const probs = new Float64Array(n);
  let z = 0;
  order.forEach((j, i) => {
    ids[i] = c.ids[j]!;
    logits[i] = c.logits[j]!;
    z += probs[i] = c.probs[j]!;
  });
  for (let i = 0; i < n; i++) probs[i]! /= z;
  return { n, ids, logits, probs };
}

export function createSynthidSampler(o: SynthidEmbedOptions): SynthidSampler {
  const n = o.ngramLen ?? 5;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`ngram_len must be a positive integer (got ${n})`);
  if (o.keys.length < 1) throw new RangeError('SynthID needs at least one key');
  const historySize = o.historySize ?? 1024;
  if (!Number.isInteger(historySize) || historySize < 1) throw new RangeError(`context_history_size must be a positive integer (got ${historySize})`);
  const topK = o.topK ?? 0;
  if (o.flavour === 'synthid_text' && !(Number.isInteger(topK) && topK > 1)) throw new RangeError(`synthid_text needs top_k > 1 (got ${o.topK})`);
  const size = o.samplingTableSize ?? 65536;
  if (o.flavour === 'hf' && !(Number.isInteger(Math.log2(size)) && size <= 2 ** 30))
    throw new RangeError(`sampling_table_size must be a power of two (got ${size})`);
  const prepared = prepareSynthid(o.flavour, o.keys, o.flavour === 'hf' ? hfSynthidTable(size, o.samplingTableSeed ?? 0) : undefined);
  const ctx: number[] = new Array(n - 1).fill(0);
  const ring: string[] = new Array(historySize).fill('0,0');
  const counts = new Map<string, number>([['0,0', historySize]]);
  let ringAt = 0;
  let calls = 0;
  const generated: number[] = [];
  return {
    generated,
    context: () => ctx.slice(),
    step(d: EngineDistribution, rng: Rng): EngineStep {
      const all = engineCandidates(d);
      calls++;
      const c = o.flavour === 'synthid_text' ? restrict(all, rankByProb(all, topK)) : all;
      let watermarked = false;
      let idx: number;
      if (o.skipFirstNgramCalls && calls < n) idx = drawIndex(c.probs, rng);
      else {
        const r = synthidReadPrepared(prepared, ctx, c.ids);
        const key = `${r.contextHash.hi},${r.contextHash.lo}`;
        const repeated = (counts.get(key) ?? 0) > 0;
        const old = ring[ringAt]!;
        const left = counts.get(old)! - 1;
        if (left > 0) counts.set(old, left);
        else counts.delete(old);
        ring[ringAt] = key;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        ringAt = (ringAt + 1) % historySize;
        if (repeated) idx = drawIndex(c.probs, rng);
        else {
          idx = drawIndex(tournamentReweight(c.probs, r.depth, r.g, r.packed), rng);
          watermarked = true;
        }
      }
      const token = c.ids[idx]!;
      generated.push(token);
      if (n > 1) {
        // the processor shifts the previous token in at the start of the next call
        ctx.push(token);
        ctx.shift();
      }
      return { token, watermarked };
    },
  };
}
