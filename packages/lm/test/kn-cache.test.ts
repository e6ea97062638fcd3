import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeKnFile,
  defaultCacheDir,
  encodeKnFile,
  KnFileError,
  KneserNeyModel,
  loadOrTrain,
  loadReferenceModel,
  readKnHeader,
  resolveCacheDir,
  trainKneserNey,
} from '@tracemark/lm';
import { setWarningSink, writeFileAtomic } from '@tracemark/detector';

const dir = mkdtempSync(join(tmpdir(), 'tracemark-kn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = ['the cat sat on the mat.', 'the dog sat on the log.', 'a cat and a dog sat on a mat and a log.'];
let trainings = 0;
const train = () => {
  trainings++;
  return trainKneserNey(TEXTS, { order: 3 });
};
const meta = { corpusFingerprint: 'fp-1', params: { order: 3, texts: 3 } };

function probsOf(m: KneserNeyModel): number[] {
  return [0, 1, 9059, 3086, 199999].map((t) => m.prob([3086], 1, t));
}

describe('model cache', () => {
  const path = join(dir, 'm.tmkn');

  it('trains when missing, then loads the identical model from disk', () => {
    const a = loadOrTrain({ path, meta, train });
    expect(a).toMatchObject({ source: 'trained', reason: 'missing' });
    expect(statSync(path).size).toBe(a.bytes);
    const b = loadOrTrain({ path, meta, train });
    expect(b.source).toBe('cache');
    expect(trainings).toBe(1);
    expect(probsOf(new KneserNeyModel(b.data))).toEqual(probsOf(new KneserNeyModel(a.data)));
    // No temporary files are left behind by the atomic write.
    expect(readdirSync(dir)).toEqual(['m.tmkn']);
  });

  it('carries a readable header: magic, version, encoding, order, vocabulary, fingerprint, parameters', () => {
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('TMKNLM\r\n');
    const { header, version } = readKnHeader(bytes);
    expect(version).toBe(1);
    expect(header).toMatchObject({ format: 'tracemark-kn', encoding: 'o200k_base', order: 3, vocabSize: 200000, eos: 199999, meta });
  });

  it('rebuilds a corrupt file (checksum mismatch) or refuses it when rebuild is off', () => {
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x40; // one bit of the payload
    writeFileSync(path, bytes);
    expect(() => decodeKnFile(bytes)).toThrow(KnFileError);
    expect(() => loadOrTrain({ path, meta, train, rebuild: false })).toThrow(
      /cached model .*m\.tmkn is unusable \(corrupt: model file checksum mismatch \(the file is corrupt\)\) and rebuild is disabled/,
    );
    const r = loadOrTrain({ path, meta, train });
    expect(r).toMatchObject({ source: 'trained', reason: 'corrupt: model file checksum mismatch (the file is corrupt)' });
    expect(loadOrTrain({ path, meta, train }).source).toBe('cache');
  });

  it('rebuilds a truncated file', () => {
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    expect(loadOrTrain({ path, meta, train }).reason).toMatch(/^corrupt: model file is \d+ bytes but its header says \d+ \(truncated/);
    writeFileSync(path, bytes.subarray(0, 30));
    expect(loadOrTrain({ path, meta, train }).reason).toMatch(/^corrupt: model file is truncated/);
    writeFileSync(path, 'hello, not a model');
    expect(loadOrTrain({ path, meta, train }).reason).toBe('corrupt: not a tracemark Kneser–Ney model file (bad magic)');
  });

  it('rebuilds when the corpus fingerprint, the parameters or the format version change', () => {
    expect(loadOrTrain({ path, meta: { ...meta, corpusFingerprint: 'fp-2' }, train }).reason).toBe('stale: corpus fingerprint differs');
    expect(loadOrTrain({ path, meta: { ...meta, corpusFingerprint: 'fp-2', params: { order: 4 } }, train }).reason).toBe(
      'stale: training parameters differ',
    );
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(99, 8);
    writeFileSync(path, bytes);
    expect(loadOrTrain({ path, meta, train }).reason).toBe('stale: model file format version 99 is not supported (this build reads 1)');
  });

  it('reads its directory from the option, then TRACEMARK_CACHE_DIR, then XDG_CACHE_HOME, then the home directory', () => {
    const home = join(dir, 'home');
    const xdg = join(dir, 'xdg');
    // Not the working directory: the same cache from every folder.
    expect(resolveCacheDir({}, home)).toBe(join(home, '.cache', 'tracemark'));
    expect(resolveCacheDir({ XDG_CACHE_HOME: xdg }, home)).toBe(join(xdg, 'tracemark'));
    expect(resolveCacheDir({ XDG_CACHE_HOME: '' }, home)).toBe(join(home, '.cache', 'tracemark'));
    expect(resolveCacheDir({ XDG_CACHE_HOME: 'relative/cache' }, home)).toBe(join(home, '.cache', 'tracemark')); // the XDG spec ignores relative paths
    expect(resolveCacheDir({ TRACEMARK_CACHE_DIR: join(dir, 'env'), XDG_CACHE_HOME: xdg }, home)).toBe(join(dir, 'env'));
    expect(resolveCacheDir({ TRACEMARK_CACHE_DIR: 'rel' }, home)).toBe(resolve('rel'));
    expect(resolveCacheDir({ TRACEMARK_CACHE_DIR: join(dir, 'env'), XDG_CACHE_HOME: xdg }, home, join(dir, 'opt'))).toBe(join(dir, 'opt'));
    expect(resolveCacheDir({}, '')).toBe(resolve('.cache', 'tracemark')); // no home directory at all
    const saved = process.env.TRACEMARK_CACHE_DIR;
    try {
      process.env.TRACEMARK_CACHE_DIR = join(dir, 'env');
      expect(defaultCacheDir()).toBe(join(dir, 'env'));
      expect(defaultCacheDir(join(dir, 'opt'))).toBe(join(dir, 'opt'));
      delete process.env.TRACEMARK_CACHE_DIR;
      expect(defaultCacheDir()).toBe(resolveCacheDir(process.env, homedir()));
    } finally {
      if (saved === undefined) delete process.env.TRACEMARK_CACHE_DIR;
      else process.env.TRACEMARK_CACHE_DIR = saved;
    }
    expect(() => loadReferenceModel({ cacheDir: join(dir, 'empty'), rebuild: false })).toThrow(
      /kn-reference-o200k_base-o3\.tmkn is unusable \(missing\) and rebuild is disabled/,
    );
    expect(existsSync(join(dir, 'empty'))).toBe(false);
  });

  it('says on the warning sink when it trains the reference model, and nothing when it is cached', () => {
    const cacheDir = join(dir, 'cold');
    const lines: string[] = [];
    const previous = setWarningSink((m) => lines.push(m));
    try {
      const opts = { cacheDir, order: 2, sources: ['brown' as const] };
      const cold = loadReferenceModel(opts);
      expect(cold).toMatchObject({ source: 'trained', reason: 'missing', path: join(cacheDir, 'kn-reference-o200k_base-o2.tmkn') });
      expect(lines).toEqual([`training the reference model (o200k_base, order 2; not cached yet), a few seconds; caching it in ${cacheDir}`]);
      lines.length = 0;
      const warm = loadReferenceModel({ ...opts, topUnigrams: 7 }); // another memo key: really read from disk
      expect(warm.source).toBe('cache');
      expect(lines).toEqual([]);
      writeFileSync(cold.path, 'not a model');
      expect(loadReferenceModel({ ...opts, topUnigrams: 8 }).source).toBe('trained');
      expect(lines).toEqual([
        `training the reference model (o200k_base, order 2; corrupt: not a tracemark Kneser–Ney model file (bad magic)), a few seconds; caching it in ${cacheDir}`,
      ]);
    } finally {
      setWarningSink(previous);
    }
  });

  it('writes atomically and reports a round trip through bytes', () => {
    const p = join(dir, 'sub', 'x.bin');
    mkdirSync(join(dir, 'sub'), { recursive: true }); // loadOrTrain creates the cache directory, writeFileAtomic does not
    writeFileAtomic(p, Uint8Array.of(1, 2, 3));
    expect(Array.from(readFileSync(p))).toEqual([1, 2, 3]);
    const data = train();
    const back = decodeKnFile(encodeKnFile(data, meta)).data;
    expect(back.childStart.map((c) => Array.from(c))).toEqual(data.childStart.map((c) => Array.from(c)));
    expect(Array.from(back.vocabIds)).toEqual(Array.from(data.vocabIds));
  });
});
