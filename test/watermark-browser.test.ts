import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// @tracemark/watermark must run in a browser: bundle it for the browser platform (which
// fails on any Node built-in import) and run the bundle in a bare V8 context that has
// only what browsers have (Web Crypto, TextEncoder), no require/process/Buffer.
describe('@tracemark/watermark in a browser-like runtime', () => {
  it('bundles for the browser and generates, keys and scores without Node APIs', async () => {
    const entry = fileURLToPath(new URL('../packages/watermark/src/index.ts', import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'tracemark',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const sandbox: Record<string, unknown> = {
      crypto: globalThis.crypto,
      TextEncoder,
      out: undefined,
    };
    runInNewContext(
      `${code}
       const key = tracemark.generateKey();
       const spec = tracemark.parseSpec({ version: 1, scheme: { name: 'kgw' }, keyFingerprint: key.fingerprint });
       const wm = new tracemark.Watermark(spec, key);
       const seed = { hi: 0, lo: 0 };
       let green = 0;
       for (let t = 0; t < 4000; t++) { wm.windowSeed([t], 1, seed); green += wm.score(seed, t + 1); }
       out = { fingerprint: key.fingerprint, green, hasProcess: typeof process, hasRequire: typeof require };`,
      sandbox,
    );
    const out = sandbox.out as { fingerprint: string; green: number; hasProcess: string; hasRequire: string };
    expect(out.hasProcess).toBe('undefined');
    expect(out.hasRequire).toBe('undefined');
    expect(out.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    // γ = 0.25 over 4000 distinct windows: mean 1000, sd ≈ 27; ±8 sd never fails by chance.
    expect(Math.abs(out.green - 1000)).toBeLessThan(220);
  });
});
