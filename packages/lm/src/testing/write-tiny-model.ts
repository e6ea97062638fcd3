/**
 * Writes a complete, tiny, local causal-LM directory that @huggingface/transformers
 * loads with `AutoModelForCausalLM` / `AutoTokenizer` and drives with its own
 * `generate()`: config.json, generation_config.json, tokenizer.json,
 * tokenizer_config.json and onnx/model.onnx.
 *
 * The network is a one-layer, one-head, attention-only transformer with a real
 * key/value cache, so it exercises the same contract as an exported model
 * (inputs `input_ids`, `attention_mask`, `past_key_values.0.{key,value}`;
 * outputs `logits`, `present.0.{key,value}`):
 *
 *   e = E[x], q = Q[x], k = K[x], v = V[x]              (embedding lookups)
 *   present.k = concat(past.k, k), present.v = concat(past.v, v)
 *   a = softmax(q·present.kᵀ/√H, causal + padding mask) · present.v
 *   logits = (e + a)·W + b
 *
 * so the next-token distribution depends mostly on the previous token (a bigram
 * with a context term). Weights are Gaussian, drawn from a seeded generator, so a
 * given (vocabSize, hidden, seed) always produces the same bytes.
 *
 * The ONNX protobuf is encoded with `onnx-proto` (protobufjs), loaded lazily: it
 * is a development dependency, needed only to write a model, never to load one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRng } from '@tracemark/watermark';

export interface TinyModelOptions {
  /** Vocabulary size V, including the special tokens: 64..65536. Default 256. */
  vocabSize?: number;
  /** Hidden size H (= head dimension; one head, one layer): 2..512. Default 16. */
  hidden?: number;
  /** Weight seed (any integer). Default 1. */
  seed?: number;
  /** Standard deviation scale of the logits; larger = lower entropy. Default 2.5. */
  logitScale?: number;
  /** Logit bias of [EOS] (and [UNK]/[BOS]); very negative = generation runs to the length limit. Default -30. */
  specialBias?: number;
}

export interface TinyModelInfo {
  dir: string;
  vocabSize: number;
  hidden: number;
  /** Token strings by id (the tokenizer's vocabulary). */
  vocab: string[];
  unkTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
}

export const TINY_SPECIAL_TOKENS = ['[UNK]', '[BOS]', '[EOS]'] as const;
const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

/**
 * The tiny tokenizer's vocabulary: [UNK] [BOS] [EOS], "." ",", the letters a–z,
 * their continuation pieces ##a–##z (so every lowercase word can be encoded),
 * then consonant–vowel words of 1, 2, 3… syllables ("ba", "be", …, "baba", …).
 */
export function tinyVocabulary(vocabSize: number): string[] {
  checkInt('vocabSize', vocabSize, 64, 65536);
  const vocab: string[] = [...TINY_SPECIAL_TOKENS, '.', ','];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (const c of letters) vocab.push(c);
  for (const c of letters) vocab.push(`##${c}`);
  const syllables: string[] = [];
  for (const c of CONSONANTS) for (const v of VOWELS) syllables.push(c + v);
  const seen = new Set(vocab);
  let words = syllables.slice();
  while (vocab.length < vocabSize) {
    for (const w of words) {
      if (vocab.length >= vocabSize) break;
      if (!seen.has(w)) {
        seen.add(w);
        vocab.push(w);
      }
    }
    const next: string[] = [];
    for (const w of words) {
      for (const s of syllables) {
        next.push(w + s);
        if (next.length >= vocabSize) break;
      }
      if (next.length >= vocabSize) break;
    }
    words = next;
  }
  return vocab;
}

/** Write the model directory (created if needed; existing files are overwritten). */
export async function writeTinyCausalLM(dir: string, options: TinyModelOptions = {}): Promise<TinyModelInfo> {
  const vocabSize = options.vocabSize ?? 256;
  const hidden = options.hidden ?? 16;
  const seed = options.seed ?? 1;
  const logitScale = options.logitScale ?? 2.5;
  const specialBias = options.specialBias ?? -30;
  checkInt('vocabSize', vocabSize, 64, 65536);
  checkInt('hidden', hidden, 2, 512);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (!(logitScale > 0 && logitScale <= 100)) throw new Error(`logitScale must be in (0, 100], got ${logitScale}`);
  if (!Number.isFinite(specialBias)) throw new Error(`specialBias must be a finite number, got ${specialBias}`);

  const vocab = tinyVocabulary(vocabSize);
  const [unkTokenId, bosTokenId, eosTokenId] = [0, 1, 2];
  const onnxBytes = await buildTinyOnnx({ vocabSize, hidden, seed, logitScale, specialBias, specialIds: [0, 1, 2] });

  await mkdir(join(dir, 'onnx'), { recursive: true });
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  await writeFile(join(dir, 'onnx', 'model.onnx'), onnxBytes);
  await writeFile(
    join(dir, 'config.json'),
    json({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: vocabSize,
      hidden_size: hidden,
      intermediate_size: hidden,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      num_key_value_heads: 1,
      head_dim: hidden,
      max_position_embeddings: 4096,
      bos_token_id: bosTokenId,
      eos_token_id: eosTokenId,
      use_cache: true,
      torch_dtype: 'float32',
      'transformers.js_config': { dtype: 'fp32' },
      tracemark_tiny_model: { vocabSize, hidden, seed, logitScale, specialBias },
    }),
  );
  await writeFile(
    join(dir, 'generation_config.json'),
    json({ bos_token_id: bosTokenId, eos_token_id: eosTokenId, do_sample: true, top_k: 0 }),
  );
  const vocabMap: Record<string, number> = {};
  vocab.forEach((t, i) => (vocabMap[t] = i));
  await writeFile(
    join(dir, 'tokenizer.json'),
    json({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: TINY_SPECIAL_TOKENS.map((content, id) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: vocabMap,
      },
    }),
  );
  await writeFile(
    join(dir, 'tokenizer_config.json'),
    json({
      tokenizer_class: 'PreTrainedTokenizerFast',
      unk_token: '[UNK]',
      bos_token: '[BOS]',
      eos_token: '[EOS]',
      model_max_length: 4096,
      clean_up_tokenization_spaces: true,
    }),
  );
  return { dir, vocabSize, hidden, vocab, unkTokenId, bosTokenId, eosTokenId };
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
}

// ---------------------------------------------------------------------------
// The ONNX graph

type OnnxNs = typeof import('onnx-proto').onnx;

async function loadOnnxProto(): Promise<OnnxNs> {
  let mod: { onnx?: OnnxNs; default?: { onnx?: OnnxNs } };
  try {
    mod = (await import('onnx-proto')) as typeof mod;
  } catch (e) {
    throw new Error(`writing an ONNX model needs the onnx-proto package (a dev dependency of @tracemark/lm): ${(e as Error).message}`);
  }
  const ns = mod.onnx ?? mod.default?.onnx;
  if (!ns) throw new Error('onnx-proto did not export the onnx namespace');
  return ns;
}

interface GraphParams {
  vocabSize: number;
  hidden: number;
  seed: number;
  logitScale: number;
  specialBias: number;
  specialIds: number[];
}

/** Opset of the graph's operators (Unsqueeze/Squeeze take axes as inputs, as since opset 13). */
export const TINY_OPSET = 17;

async function buildTinyOnnx(p: GraphParams): Promise<Uint8Array> {
  const onnx = await loadOnnxProto();
  const { vocabSize: V, hidden: H } = p;
  const T = onnx.TensorProto.DataType;
  const rng = seededRng(`tracemark-tiny-lm/${p.seed}/${V}/${H}`);
  const gauss = (): number => {
    // Box–Muller; 1 − u keeps the log finite.
    const u = 1 - rng();
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const randn = (n: number, scale: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = gauss() * scale;
    return a;
  };

  const floatTensor = (name: string, dims: number[], data: Float32Array) =>
    onnx.TensorProto.create({ name, dims, dataType: T.FLOAT, rawData: leBytes(data) });
  const int64Tensor = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: T.INT64, rawData: leBytes(BigInt64Array.from(values.map(BigInt))) });

  // The embeddings are ~N(0, 1) per coordinate; the attention output is a convex
  // combination of value vectors (~N(0, 1/4)), so |e + a|² ≈ 1.25·H and the head's
  // N(0, scale²/(1.25·H)) entries give logits with standard deviation ≈ scale.
  const bias = randn(V, 0.5);
  for (const id of p.specialIds) bias[id] = p.specialBias;
  const initializer = [
    floatTensor('embed_tokens', [V, H], randn(V * H, 1)),
    floatTensor('q_embed', [V, H], randn(V * H, 1)),
    floatTensor('k_embed', [V, H], randn(V * H, 1)),
    floatTensor('v_embed', [V, H], randn(V * H, 0.5)),
    floatTensor('lm_head', [H, V], randn(H * V, p.logitScale / Math.sqrt(1.25 * H))),
    floatTensor('lm_bias', [V], bias),
    floatTensor('attn_scale', [], Float32Array.of(1 / Math.sqrt(H))),
    floatTensor('neg_large', [], Float32Array.of(-1e9)),
    int64Tensor('axes_0', [1], [0]),
    int64Tensor('axes_1', [1], [1]),
    int64Tensor('axes_1_2', [2], [1, 2]),
    int64Tensor('i64_0', [], [0]),
    int64Tensor('i64_1', [], [1]),
  ];

  const node = (opType: string, input: string[], output: string[], attribute: import('onnx-proto').onnx.IAttributeProto[] = []) =>
    onnx.NodeProto.create({ opType, input, output, name: `${opType}_${output[0]}`, attribute });
  const intAttr = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const intsAttr = (name: string, ints: number[]) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

  const nodes = [
    node('Gather', ['embed_tokens', 'input_ids'], ['emb']), // [B,S,H]
    node('Gather', ['q_embed', 'input_ids'], ['q3']),
    node('Gather', ['k_embed', 'input_ids'], ['k3']),
    node('Gather', ['v_embed', 'input_ids'], ['v3']),
    node('Unsqueeze', ['q3', 'axes_1'], ['q']), // [B,1,S,H]
    node('Unsqueeze', ['k3', 'axes_1'], ['k']),
    node('Unsqueeze', ['v3', 'axes_1'], ['v']),
    node('Concat', ['past_key_values.0.key', 'k'], ['present.0.key'], [intAttr('axis', 2)]), // [B,1,T,H]
    node('Concat', ['past_key_values.0.value', 'v'], ['present.0.value'], [intAttr('axis', 2)]),
    node('Transpose', ['present.0.key'], ['k_t'], [intsAttr('perm', [0, 1, 3, 2])]), // [B,1,H,T]
    node('MatMul', ['q', 'k_t'], ['scores_raw']), // [B,1,S,T]
    node('Mul', ['scores_raw', 'attn_scale'], ['scores']),
    // Causal mask: key position i is visible from query position P + j when i ≤ P + j.
    node('Shape', ['input_ids'], ['ids_shape']),
    node('Gather', ['ids_shape', 'i64_1'], ['seq_len'], [intAttr('axis', 0)]), // S
    node('Shape', ['attention_mask'], ['mask_shape']),
    node('Gather', ['mask_shape', 'i64_1'], ['total_len'], [intAttr('axis', 0)]), // T = P + S
    node('Sub', ['total_len', 'seq_len'], ['past_len']), // P
    node('Range', ['i64_0', 'total_len', 'i64_1'], ['key_pos']), // [T]
    node('Range', ['past_len', 'total_len', 'i64_1'], ['query_pos']), // [S]
    node('Unsqueeze', ['key_pos', 'axes_0'], ['key_pos_row']), // [1,T]
    node('Unsqueeze', ['query_pos', 'axes_1'], ['query_pos_col']), // [S,1]
    node('LessOrEqual', ['key_pos_row', 'query_pos_col'], ['causal']), // [S,T]
    node('Cast', ['attention_mask'], ['mask_bool'], [intAttr('to', T.BOOL)]), // [B,T]
    node('Unsqueeze', ['mask_bool', 'axes_1_2'], ['mask_b11t']), // [B,1,1,T]
    node('And', ['causal', 'mask_b11t'], ['visible']), // [B,1,S,T]
    node('Where', ['visible', 'scores', 'neg_large'], ['scores_masked']),
    node('Softmax', ['scores_masked'], ['attn'], [intAttr('axis', -1)]),
    node('MatMul', ['attn', 'present.0.value'], ['ctx4']), // [B,1,S,H]
    node('Squeeze', ['ctx4', 'axes_1'], ['ctx']), // [B,S,H]
    node('Add', ['emb', 'ctx'], ['hidden_state']),
    node('MatMul', ['hidden_state', 'lm_head'], ['logits_raw']), // [B,S,V]
    node('Add', ['logits_raw', 'lm_bias'], ['logits']),
  ];

  const dim = (d: number | string) =>
    typeof d === 'number' ? onnx.TensorShapeProto.Dimension.create({ dimValue: d }) : onnx.TensorShapeProto.Dimension.create({ dimParam: d });
  const valueInfo = (name: string, elemType: number, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({ elemType, shape: onnx.TensorShapeProto.create({ dim: dims.map(dim) }) }),
      }),
    });

  const graph = onnx.GraphProto.create({
    name: 'tracemark_tiny_causal_lm',
    node: nodes,
    initializer,
    input: [
      valueInfo('input_ids', T.INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', T.INT64, ['batch_size', 'total_sequence_length']),
      valueInfo('past_key_values.0.key', T.FLOAT, ['batch_size', 1, 'past_sequence_length', H]),
      valueInfo('past_key_values.0.value', T.FLOAT, ['batch_size', 1, 'past_sequence_length', H]),
    ],
    output: [
      valueInfo('logits', T.FLOAT, ['batch_size', 'sequence_length', V]),
      valueInfo('present.0.key', T.FLOAT, ['batch_size', 1, 'total_sequence_length', H]),
      valueInfo('present.0.value', T.FLOAT, ['batch_size', 1, 'total_sequence_length', H]),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tracemark',
    producerVersion: '1',
    domain: 'dev.tracemark',
    modelVersion: 1,
    docString: 'tracemark tiny attention-only causal LM (test fixture)',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: TINY_OPSET })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Little-endian bytes of a typed array (ONNX raw_data is little-endian on every platform). */
function leBytes(a: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  if (a instanceof Float32Array) for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i]!, true);
  else for (let i = 0; i < a.length; i++) dv.setBigInt64(i * 8, a[i]!, true);
  return out;
}
