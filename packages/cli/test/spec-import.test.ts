/**
 * `tracemark spec import` / `spec init --engine`, end to end against the engines' own
 * numbers: for every vector file in test/vectors/engines/, the engine config that
 * produced it (its parameters block, written the way the engine takes it) is imported
 * through the CLI; the written spec + key file, read back and given to createEngineReader,
 * must reproduce the engine detector's statistic (scored count and p-value, or SynthID's
 * mean score) on that file's sequences. Bad inputs exit 2 with one line naming the field
 * and write nothing; the key never reaches stdout or stderr.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineReader, ENGINE_SCHEMES, parseEngineKeyFile, parseEngineSpec, type EngineReader } from '@tracemark/watermark';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecEngineOutputSchema, SpecShowEngineOutputSchema } from '../src/schemas.js';
import { REPO_ROOT, runInProcess } from './helpers/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const vectors = (name: string): Json => JSON.parse(readFileSync(join(REPO_ROOT, 'test/vectors/engines', name), 'utf8'));
/** Python repr of a double round-trips exactly. */
const f64 = (x: Json): number => Number(x.dec);

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracemark-spec-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function paths(): { cfg: string; out: string; keyOut: string } {
  const d = join(dir, String(n++));
  mkdirSync(d);
  return { cfg: join(d, 'engine.json'), out: join(d, 'spec.json'), keyOut: join(d, 'key.json') };
}

/** Import `config` (an object, or raw JSON text) through the CLI; the reader of what it wrote. */
async function importConfig(engine: string, config: object | string, extra: string[] = []): Promise<{ reader: EngineReader; stdout: string; stderr: string; out: string; keyOut: string }> {
  const p = paths();
  writeFileSync(p.cfg, typeof config === 'string' ? config : JSON.stringify(config));
  const r = await runInProcess(['spec', 'import', p.cfg, '--engine', engine, '--out', p.out, '--key-out', p.keyOut, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const spec = parseEngineSpec(JSON.parse(readFileSync(p.out, 'utf8')));
  const key = parseEngineKeyFile(JSON.parse(readFileSync(p.keyOut, 'utf8')));
  return { reader: createEngineReader(spec, key), stdout: r.stdout, stderr: r.stderr, out: p.out, keyOut: p.keyOut };
}

function expectP(actual: number | null, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  const tol = 1e-9 * Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

const seqOf = (file: Json, name: string): Json => {
  const s = file.sequences.find((x: Json) => x.name === name);
  if (!s) throw new Error(`no sequence ${name}`);
  return s;
};
const vocabOf = (name: string): number => Number(/vocab(\d+)/.exec(name)![1]);

describe('spec import reproduces the engine detectors of the vectors', () => {
  // vLLM: one config per (file, detector variant); a sequence may name its own key and width.
  const vllmCases: { file: string; config: (p: Json, det: Json) => object; pick: (s: Json) => Json[]; seqs: string[] }[] = [
    {
      file: 'vllm-gumbel-philox.json',
      config: (p) => ({ algorithm: 'gumbel', key: p.key, context_width: p.context_width, deduplicate_contexts: 'single_turn' }),
      pick: (s) => [s.detector],
      seqs: ['watermarked-by-engine', 'random-vocab32000', 'repetitive-period5', 'random-vocab32000-key0-cw1', 'random-vocab32000-key18446744073709551615-cw16'],
    },
    { file: 'vllm-gumbel-philox_legacy.json', config: (p) => ({ key: Number(p.key), prf: 'philox_legacy' }), pick: (s) => [s.detector], seqs: ['random-vocab32000', 'repetitive-period5'] },
    { file: 'vllm-gumbel-hmac_sha256.json', config: (p) => ({ key: p.key, prf: 'hmac_sha256', context_width: 4 }), pick: (s) => [s.detector], seqs: ['random-vocab32000', 'repetitive-period5'] },
    {
      file: 'vllm-dual_key_gumbel-philox.json',
      config: (p, d) => ({ algorithm: 'dual_key_gumbel', key: p.master_key, alpha: d.alpha, context_width: p.context_width }),
      pick: (s) => s.detectors,
      seqs: ['watermarked-by-engine-key_a', 'random-vocab32000'],
    },
    {
      file: 'vllm-red_green-philox.json',
      config: (p, d) => ({ algorithm: 'red_green', key: p.key, gamma: d.gamma, delta: p.delta }),
      pick: (s) => s.detectors,
      seqs: ['watermarked-by-engine', 'random-vocab32000'],
    },
    {
      file: 'vllm-synthid-philox.json',
      config: (p, d) => ({ algorithm: 'synthid', key: p.key, synthid_depth: d.depth }),
      pick: (s) => s.detectors,
      seqs: ['watermarked-by-engine', 'random-vocab32000'],
    },
    {
      file: 'vllm-sbw-selfhash.json',
      config: (p) => ({ algorithm: 'sbw', key: p.key, sbw_scheme: 'selfhash', sbw_gamma: p.gamma, p_value_threshold: p.p_value_threshold }),
      pick: (s) => [s.detector],
      seqs: ['watermarked-by-engine', 'random-vocab32000'],
    },
  ];
  for (const c of vllmCases) {
    it(`vllm: ${c.file}`, async () => {
      const file = vectors(c.file);
      let checked = 0;
      for (const name of c.seqs) {
        const s = seqOf(file, name);
        for (const det of c.pick(s)) {
          const params = { ...file.parameters, ...(s.key !== undefined ? { key: s.key } : {}), ...(s.context_width !== undefined ? { context_width: s.context_width } : {}) };
          const { reader } = await importConfig('vllm', c.config(params, det));
          const st = reader.engineStatistic(s.tokens);
          expect(st.scored, `${name} scored`).toBe(det.num_scored_tokens);
          expectP(st.pValue, f64(det.p_value), `${c.file} ${name} p`);
          expect(st.watermarked).toBe(det.is_watermarked);
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(2);
    });
  }

  it('vllm: sbw lefthash imports as the generator rule (the engine cannot read its own lefthash output; tracemark can)', async () => {
    const file = vectors('vllm-sbw-lefthash.json');
    const { reader } = await importConfig('vllm', { algorithm: 'sbw', key: file.parameters.key, sbw_scheme: 'lefthash' });
    expect(reader.spec.engine).toMatchObject({ scheme: 'vllm/sbw', seeding: 'lefthash', contextWidth: 1, lefthashRule: 'generator' });
    const s = seqOf(file, 'watermarked-by-engine');
    expect(s.detector.is_watermarked).toBe(false);
    // the engine statistic is the engine's detector as it is (it says "not watermarked", with its own p) …
    const st = reader.engineStatistic(s.tokens);
    expect(st.watermarked).toBe(false);
    expect(st.pValue).toBe(Number(s.detector.p_value.dec));
    // … while tracemark reads the generator's seeds: nearly every position is green
    const r = reader.read(s.tokens);
    let keyed = 0, green = 0;
    for (let i = 0; i < r.n; i++) if (r.keyed[i]) (keyed++, (green += r.score[i]!));
    expect(green / keyed).toBeGreaterThan(0.8);
  });

  it('sglang: server arguments (flag spellings too) and the config file, single and dual key', async () => {
    const single = vectors('sglang-aaronson_gumbel.json');
    const dual = vectors('sglang-aaronson_gumbel_dual_key.json');
    const sp = single.parameters;
    const dp = dual.parameters;
    const cases: [Json, string, object][] = [
      [single, 'server args', { watermark_key: sp.key_hex, watermark_context_window: sp.context_window }],
      [single, 'flags', { '--watermark-key': `0x${sp.key_hex}` }],
      [dual, 'server args', { watermark_key: dp.key_hex, watermark_key_b: dp.key_b_hex, watermark_mixing_probability: dp.mixing_probability, watermark_context_window: dp.context_window }],
      [dual, 'config file', { key: dp.key_hex, key_b: dp.key_b_hex, mixing_probability: dp.mixing_probability, context_window: dp.context_window, default_enabled: true }],
    ];
    for (const [file, how, config] of cases) {
      const { reader } = await importConfig('sglang', config);
      for (const name of ['watermarked-argmax-vocab2048', 'random-vocab151936-with-prompt', 'repetitive-period3']) {
        const s = seqOf(file, name);
        const st = reader.engineStatistic(s.tokens, s.prompt_token_ids ? { prompt: s.prompt_token_ids } : {});
        expect(st.scored, `${how} ${name}`).toBe(s.detector.combined.num_contexts);
        expectP(st.pValue, f64(s.detector.combined.p_value), `${how} ${name} p`);
      }
    }
  });

  it('hf: WatermarkingConfig with --vocab-size, and with --model-dir (vocab_size and bos_token_id from config.json)', async () => {
    for (const f of ['hf-kgw-lefthash.json', 'hf-kgw-selfhash.json']) {
      const file = vectors(f);
      const p = file.parameters;
      const config = { greenlist_ratio: p.greenlist_ratio, bias: p.bias, hashing_key: p.hashing_key, seeding_scheme: p.seeding_scheme, context_width: p.context_width };
      const s = seqOf(file, 'watermarked-by-library-vocab2048');
      const { reader, stdout } = await importConfig('hf', config, ['--vocab-size', '2048']);
      expect(stdout).toContain("HF's public default");
      expect(stdout).not.toContain(String(p.hashing_key));
      let st = reader.engineStatistic(s.tokens);
      expect(st.scored).toBe(s.detector.num_tokens_scored);
      expectP(st.pValue, f64(s.detector.p_value), `${f} watermarked p`);
      // A model directory: vocab size 32000 and BOS id 1, the leading BOS is dropped as HF's detector does.
      const b = seqOf(file, 'random-vocab32000-bos1');
      const model = join(dir, `model-${n++}`);
      mkdirSync(model);
      writeFileSync(join(model, 'config.json'), JSON.stringify({ architectures: ['X'], vocab_size: 32000, bos_token_id: b.bos_token_id, eos_token_id: [2, 3] }));
      const m = await importConfig('hf', config, ['--model-dir', model]);
      expect(m.reader.spec.engine).toMatchObject({ vocabSize: 32000, bosTokenId: 1 });
      st = m.reader.engineStatistic(b.tokens);
      expect(st.scored).toBe(b.detector.num_tokens_scored);
      expectP(st.pValue, f64(b.detector.p_value), `${f} bos p`);
    }
  });

  it('hf-synthid and synthid-text: the keys go to the key file (depth = number of keys); mean scores reproduced', async () => {
    const hf = vectors('hf-synthid.json');
    const hp = hf.parameters;
    const a = await importConfig('hf-synthid', { ngram_len: hp.ngram_len, keys: hp.keys, sampling_table_size: hp.sampling_table_size, sampling_table_seed: hp.sampling_table_seed, context_history_size: hp.context_history_size, skip_first_ngram_calls: false, debug_mode: false });
    expect(a.reader.spec.engine).toMatchObject({ scheme: 'hf/synthid', depth: hp.keys.length, ngramLen: 5 });
    expect(JSON.parse(readFileSync(a.keyOut, 'utf8')).keys).toEqual(hp.keys.map(String));
    // With the model directory, the EOS id masks what follows an EOS, as HF's detector does.
    const model = join(dir, `model-${n++}`);
    mkdirSync(model);
    writeFileSync(join(model, 'config.json'), JSON.stringify({ vocab_size: 2048, eos_token_id: hp.eos_token_id_used }));
    const e = await importConfig('hf-synthid', { ngram_len: hp.ngram_len, keys: hp.keys }, ['--model-dir', model]);
    expect(e.reader.spec.engine).toMatchObject({ eosTokenId: hp.eos_token_id_used });
    const eosSeq = seqOf(hf, 'with-eos-at-30');
    const gotEos = e.reader.engineStatistic(eosSeq.tokens).statistic;
    expect(Math.abs(gotEos - f64(eosSeq.mean_score)), `with-eos-at-30: ${gotEos} vs ${f64(eosSeq.mean_score)}`).toBeLessThanOrEqual(1e-12 * Math.abs(f64(eosSeq.mean_score)));
    const st = vectors('synthid_text-synthid.json');
    const sp = st.parameters;
    const b = await importConfig('synthid-text', { ngram_len: sp.ngram_len, keys: sp.keys, context_history_size: sp.context_history_size, top_k: 40, device: 'cpu' });
    expect(b.reader.spec.engine).toMatchObject({ scheme: 'synthid-text/synthid', depth: 30, topK: 40 });
    for (const [file, reader, names] of [
      [hf, a.reader, ['watermarked-by-library-vocab2048-generated-part', 'random-vocab32000', 'repetitive-period3']],
      [st, b.reader, ['watermarked-by-reference-vocab4096-generated-part', 'random-vocab32000', 'repetitive-period3']],
    ] as const) {
      for (const name of names) {
        const s = seqOf(file, name);
        const got = reader.engineStatistic(s.tokens).statistic;
        const want = f64(s.mean_score);
        expect(Math.abs(got - want), `${name}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want));
      }
    }
  });

  it('lm-watermarking: lefthash / selfhash and their aliases (simple_1, algorithm-3, ff- names)', async () => {
    for (const [f, names] of [
      ['lm_watermarking-kgw-lefthash.json', ['lefthash', 'simple_1', 'ff-additive_prf-1-False-15485863']],
      ['lm_watermarking-kgw-selfhash.json', ['selfhash', 'algorithm-3', 'ff-anchored_minhash_prf-4-True']],
    ] as const) {
      const file = vectors(f);
      for (const seeding of names) {
        const { reader, stdout } = await importConfig('lm-watermarking', { seeding_scheme: seeding, gamma: file.parameters.gamma, delta: file.parameters.delta }, ['--vocab-size', '32000']);
        expect(stdout).toContain('public default');
        expect(stdout).not.toContain('15485863');
        for (const name of ['random-vocab32000', 'repetitive-period4']) {
          const s = seqOf(file, name);
          const st = reader.engineStatistic(s.tokens);
          expect(st.scored, `${seeding} ${name}`).toBe(s.detector.num_tokens_scored);
          expectP(st.pValue, f64(s.detector.p_value), `${seeding} ${name} p`);
        }
      }
    }
  });
});

describe('spec import output', () => {
  it('prints the spec id and key fingerprint (human and --json, strict schema); never the key; key file 0600; spec show/check read it', async () => {
    const secrets = ['12345678901234567890', 'fedcba9876543210', '0badc0ffee0ddf00d', '7777777777777777777', '6666666666666666666'];
    const runs: [string, object][] = [
      ['vllm', { key: secrets[0], algorithm: 'red_green' }],
      ['sglang', { watermark_key: secrets[1], watermark_key_b: secrets[2].slice(1) }],
      ['hf-synthid', { ngram_len: 4, keys: [secrets[3], secrets[4]] }],
    ];
    for (const [engine, config] of runs) {
      const p = paths();
      writeFileSync(p.cfg, JSON.stringify(config));
      const human = await runInProcess(['spec', 'import', p.cfg, '--engine', engine, '--out', p.out, '--key-out', p.keyOut]);
      expect(human.code, human.stderr).toBe(0);
      const spec = parseEngineSpec(JSON.parse(readFileSync(p.out, 'utf8')));
      expect(human.stdout).toContain(`key fingerprint ${spec.keyFingerprint}`);
      expect(statSync(p.keyOut).mode & 0o777).toBe(0o600);
      const again = await runInProcess(['spec', 'import', p.cfg, '--engine', engine, '--out', p.out, '--key-out', p.keyOut, '--force', '--json']);
      expect(again.code, again.stderr).toBe(0);
      const j = SpecEngineOutputSchema.parse(JSON.parse(again.stdout));
      expect(j).toMatchObject({ command: 'spec import', importedFrom: engine, keyFingerprint: spec.keyFingerprint, path: p.out, keyPath: p.keyOut });
      expect(human.stdout).toContain(`spec id ${j.specId}`);
      const show = await runInProcess(['spec', 'show', p.out, '--json']);
      expect(show.code, show.stderr).toBe(0);
      expect(SpecShowEngineOutputSchema.parse(JSON.parse(show.stdout)).specId).toBe(j.specId);
      const showHuman = await runInProcess(['spec', 'show', p.out]);
      expect(showHuman.stdout).toContain(`spec id         ${j.specId}`);
      const check = await runInProcess(['spec', 'check', p.out, '--key', p.keyOut]);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toContain('valid version-2 spec and the key matches');
      for (const out of [human, again, show, showHuman, check]) {
        for (const s of secrets) expect(out.stdout + out.stderr).not.toContain(s);
        expect((out.stdout + out.stderr).toLowerCase()).not.toContain(BigInt(secrets[0]!).toString(16));
      }
    }
  });
});

describe('spec check --key on engine specs', () => {
  it('the right key passes; another key, or a tracemark key, is refused (exit 2)', async () => {
    const a = await importConfig('vllm', { key: '1234567' });
    const b = await importConfig('vllm', { key: '7654321' });
    expect((await runInProcess(['spec', 'check', a.out, '--key', a.keyOut])).code).toBe(0);
    const wrong = await runInProcess(['spec', 'check', a.out, '--key', b.keyOut]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/fingerprint/);
    const tk = join(dir, `tk-${n++}.json`);
    expect((await runInProcess(['keygen', '--out', tk])).code).toBe(0);
    const v1 = await runInProcess(['spec', 'check', a.out, '--key', tk]);
    expect(v1.code).toBe(2);
    for (const r of [wrong, v1]) expect(r.stderr).not.toMatch(/1234567|7654321/);
  });
});

describe('bad input: exit 2, one line naming the field, nothing written', () => {
  const bad: [string, string, object | string, RegExp, string[]?][] = [
    ['unknown field (with a hint)', 'vllm', { key: 1, algorithm: 'synthid', depth: 8 }, /depth: unknown field .*synthid_depth/],
    ['unknown algorithm', 'vllm', { key: 1, algorithm: 'kgw' }, /algorithm: must be one of/],
    ['wrong type', 'vllm', { key: 1, context_width: '4' }, /context_width: must be a number/],
    ['missing key', 'vllm', { algorithm: 'gumbel' }, /key: missing/],
    ['key of the wrong type', 'vllm', { key: true }, /key: must be an integer/],
    ['fractional key', 'vllm', { key: 1.5 }, /key: must be an integer/],
    ['key above 2^64 - 1', 'vllm', { key: '18446744073709551616' }, /key: out of range/],
    ['SBW key at 2^63', 'vllm', { key: '9223372036854775808', algorithm: 'sbw' }, /key: out of range .*SBW/],
    ['JSON number key above 2^53', 'vllm', '{"key": 18446744073709551615}', /key: a JSON number above 2\^53 is not exact; write it as a quoted/],
    ['red_green gamma out of range', 'vllm', { key: 1, algorithm: 'red_green', gamma: 1 }, /gamma: must be < 1/],
    ['dual key with HMAC', 'vllm', { key: 1, algorithm: 'dual_key_gumbel', prf: 'hmac_sha256' }, /prf: dual_key_gumbel only exists with the philox PRF/],
    ['philox_legacy context width', 'vllm', { key: 1, prf: 'philox_legacy', context_width: 17 }, /context_width: the philox_legacy PRF caps contextWidth at 16/],
    ['sglang key not hex', 'sglang', { watermark_key: 'xyz' }, /watermark_key: must be a hex string/],
    ['sglang key too long', 'sglang', { key: '0123456789abcdef0' }, /key: must be a hex string of 1\.\.16 digits/],
    ['sglang window', 'sglang', { watermark_key: 'ab', watermark_context_window: 65 }, /watermark_context_window: must be 1\.\.64/],
    ['sglang mixed shapes', 'sglang', { watermark_key: 'ab', key: 'cd' }, /key: unknown field/],
    ['hf without a vocab size', 'hf', { hashing_key: 5 }, /vocab_size: missing.*--vocab-size/],
    ['hf hashing key negative', 'hf', { hashing_key: -5 }, /hashing_key: out of range/, ['--vocab-size', '100']],
    ['hf seeding', 'hf', { seeding_scheme: 'minhash' }, /seeding_scheme: must be lefthash or selfhash/, ['--vocab-size', '100']],
    ['hf vocab size flag', 'hf', {}, /--vocab-size must be an integer/, ['--vocab-size', '1.5']],
    ['hf-synthid key list entry', 'hf-synthid', { ngram_len: 5, keys: [1, 'a'] }, /keys\[1\]: must be an integer/],
    ['hf-synthid without keys', 'hf-synthid', { ngram_len: 5 }, /keys: missing/],
    ['hf-synthid sampling table', 'hf-synthid', { ngram_len: 5, keys: [1], sampling_table_size: 1000 }, /sampling_table_size: must be a power of two/],
    ['synthid-text old config', 'synthid-text', { ngram_len: 5, keys: [1], sampling_table_size: 65536 }, /sampling_table_size: this config is from a synthid-text older than/],
    ['lm-watermarking seeding', 'lm-watermarking', { seeding_scheme: 'minhash' }, /seeding_scheme: not one this build reads/, ['--vocab-size', '100']],
    ['lm-watermarking key twice', 'lm-watermarking', { seeding_scheme: 'ff-additive_prf-1-False-7', hash_key: 7 }, /hash_key: given twice/, ['--vocab-size', '100']],
    ['not an object', 'vllm', '[1, 2]', /\(root\): a vLLM --watermark-config config must be a JSON object/],
    ['TensorRT-LLM', 'trtllm', { key: 1 }, /TensorRT-LLM's watermark PRF .* is in no source snapshot/],
    ['unknown engine', 'llamacpp', { key: 1 }, /--engine must be one of vllm, sglang/],
  ];
  for (const [what, engine, config, message, extra] of bad) {
    it(what, async () => {
      const p = paths();
      writeFileSync(p.cfg, typeof config === 'string' ? config : JSON.stringify(config));
      const r = await runInProcess(['spec', 'import', p.cfg, '--engine', engine, '--out', p.out, '--key-out', p.keyOut, ...(extra ?? [])]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(p.out) || existsSync(p.keyOut)).toBe(false);
    });
  }

  it('invalid JSON: the message does not echo the text (it holds the key)', async () => {
    const p = paths();
    writeFileSync(p.cfg, '{"key": 98765432109876543, oops}');
    const r = await runInProcess(['spec', 'import', p.cfg, '--engine', 'vllm', '--out', p.out, '--key-out', p.keyOut]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not valid JSON/);
    expect(r.stderr).not.toContain('98765432109876543');
    expect(r.stderr).not.toContain('oops');
  });

  it('existing files are not overwritten without --force (neither one is touched)', async () => {
    const p = paths();
    writeFileSync(p.cfg, JSON.stringify({ key: 5 }));
    writeFileSync(p.out, 'keep me');
    const r = await runInProcess(['spec', 'import', p.cfg, '--engine', 'vllm', '--out', p.out, '--key-out', p.keyOut]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to overwrite existing file .*spec\.json \(pass --force\)/);
    expect(readFileSync(p.out, 'utf8')).toBe('keep me');
    expect(existsSync(p.keyOut)).toBe(false);
    const same = await runInProcess(['spec', 'import', p.cfg, '--engine', 'vllm', '--out', p.keyOut, '--key-out', p.keyOut]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/must be different files/);
  });
});

describe('spec init --engine', () => {
  const minimal: Record<string, string[]> = {
    'hf/kgw': ['--vocab-size', '1000'],
    'lm-watermarking/kgw': ['--vocab-size', '1000'],
    'hf/synthid': ['--depth', '3'],
    'synthid-text/synthid': ['--engine-config', '{"depth": 4, "ngramLen": 3}'],
  };
  it('every engine scheme: a fresh key of the right kind, bound to the spec; readable by createEngineReader', async () => {
    const fingerprints = new Set<string>();
    for (const scheme of ENGINE_SCHEMES) {
      const p = paths();
      const r = await runInProcess(['spec', 'init', '--engine', scheme, '--out', p.out, '--key-out', p.keyOut, '--json', ...(minimal[scheme] ?? [])]);
      expect(r.code, `${scheme}: ${r.stderr}`).toBe(0);
      const j = SpecEngineOutputSchema.parse(JSON.parse(r.stdout));
      expect(j).toMatchObject({ command: 'spec init', scheme, importedFrom: null });
      const spec = parseEngineSpec(JSON.parse(readFileSync(p.out, 'utf8')));
      const keyFile = JSON.parse(readFileSync(p.keyOut, 'utf8'));
      const key = parseEngineKeyFile(keyFile);
      expect(key.fingerprint).toBe(j.keyFingerprint);
      expect(spec.keyFingerprint).toBe(key.fingerprint);
      expect(statSync(p.keyOut).mode & 0o777).toBe(0o600);
      const reader = createEngineReader(spec, key);
      expect(reader.engineStatistic([5, 6, 7, 8, 9, 10, 11, 12]).scored).toBeGreaterThanOrEqual(0);
      for (const v of key.secretValues()) {
        expect(r.stdout).not.toContain(v.toString());
        expect(r.stdout).not.toContain(v.toString(16));
      }
      fingerprints.add(key.fingerprint);
    }
    expect(fingerprints.size).toBe(ENGINE_SCHEMES.length);
  });

  it('flags and --engine-config set the engine parameters (HF: --gamma/--delta are greenlistRatio/bias)', async () => {
    const p = paths();
    const r = await runInProcess(['spec', 'init', '--engine', 'hf/kgw', '--engine-config', '{"seeding":"selfhash","contextWidth":4}', '--vocab-size', '5000', '--gamma', '0.5', '--delta', '3', '--out', p.out, '--key-out', p.keyOut]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(p.out, 'utf8')).engine).toEqual({ scheme: 'hf/kgw', vocabSize: 5000, seeding: 'selfhash', contextWidth: 4, greenlistRatio: 0.5, bias: 3, bosTokenId: null, zThreshold: 3 });
    const q = paths();
    const d = await runInProcess(['spec', 'init', '--engine', 'sglang/gumbel', '--dual-key', '--mixing-probability', '0.25', '--out', q.out, '--key-out', q.keyOut]);
    expect(d.code, d.stderr).toBe(0);
    expect(parseEngineKeyFile(JSON.parse(readFileSync(q.keyOut, 'utf8'))).secretValues()).toHaveLength(2);
  });

  const badInit: [string, string[], RegExp][] = [
    ['unknown scheme', ['--engine', 'vllm/kgw'], /engine: must be one of vllm\/gumbel/],
    ['unknown parameter', ['--engine', 'vllm/gumbel', '--engine-config', '{"gamma": 0.3}'], /gamma: unknown parameter for vllm\/gumbel/],
    ['out of range', ['--engine', 'vllm/red_green', '--gamma', '1.5'], /gamma: must be < 1/],
    ['not a number', ['--engine', 'vllm/red_green', '--gamma', 'x'], /--gamma must be a number/],
    ['missing vocab size', ['--engine', 'hf/kgw'], /vocabSize: /],
    ['given twice', ['--engine', 'vllm/dual_key_gumbel', '--alpha', '0.2', '--engine-config', '{"alpha": 0.3}'], /alpha is given both/],
    ['a tracemark-only flag', ['--engine', 'vllm/gumbel', '--scheme', 'gumbel'], /--scheme is for tracemark's own schemes/],
    ['an engine flag without --engine', ['--key', 'k.json', '--alpha', '0.2'], /--alpha needs --engine/],
  ];
  for (const [what, args, message] of badInit) {
    it(`bad: ${what}`, async () => {
      const p = paths();
      const keyArgs = args.includes('--key') ? [] : ['--key-out', p.keyOut];
      const r = await runInProcess(['spec', 'init', ...args, '--out', p.out, ...keyArgs]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(p.out) || existsSync(p.keyOut)).toBe(false);
    });
  }

  it('--key-out is required with --engine; --key without --engine as before', async () => {
    const p = paths();
    const a = await runInProcess(['spec', 'init', '--engine', 'vllm/gumbel', '--out', p.out]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--key-out <file> is required with --engine/);
    const b = await runInProcess(['spec', 'init', '--out', p.out]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/required option '--key <file>' not specified/);
    expect(existsSync(p.out)).toBe(false);
  });
});
