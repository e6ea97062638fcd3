/**
 * Generates the exact reference fixtures for the stats tests:
 *   test/stats/fixtures/binomial-exact.json  ln P(S ≥ s), S ~ Binomial(N, a/b)
 *   test/stats/fixtures/gamma-exact.json     ln Q(n, u/v), upper regularized gamma
 * Tail probabilities are exact BigInt rationals; only the final natural log is
 * approximated (320-bit fixed point, ~96 digits), see test/stats/reference.ts.
 *
 * Run: node --conditions=source --import tsx packages/detector/scripts/gen-stats-fixtures.ts
 * The tests recompute a sample of these cases live, so the files cannot drift.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binomialUpperTailExactLn, fixToDecimal, gammaUpperExactLn } from '../test/stats/reference.js';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'test', 'stats', 'fixtures');

export interface BinomialFixture {
  n: number;
  s: number;
  gammaNum: number;
  gammaDen: number;
  /** ln P(S ≥ s) to 30 decimals (truncated). */
  lnP: string;
}

export interface GammaFixture {
  a: number;
  xNum: number;
  xDen: number;
  /** ln Q(a, x) to 30 decimals (truncated). */
  lnQ: string;
}

function binomialCases(): BinomialFixture[] {
  const gammas: Array<[number, number]> = [
    [1, 4],
    [1, 2],
    [3, 10],
    [1, 20],
    [7, 8],
  ];
  const ns = [1, 2, 3, 7, 10, 25, 50, 100, 200, 500, 1000, 2000];
  const out: BinomialFixture[] = [];
  for (const [a, b] of gammas) {
    const g = a / b;
    for (const n of ns) {
      const mean = n * g;
      const sd = Math.sqrt(n * g * (1 - g));
      const raw = [
        1,
        mean - 2 * sd,
        mean,
        mean + sd,
        mean + 3 * sd,
        mean + 6 * sd,
        mean + 12 * sd,
        (n + mean) / 2,
        n - 1,
        n,
      ];
      const ss = [...new Set(raw.map((v) => Math.min(n, Math.max(1, Math.round(v)))))].sort((x, y) => x - y);
      for (const s of ss) {
        const ln = binomialUpperTailExactLn(s, n, BigInt(a), BigInt(b));
        out.push({ n, s, gammaNum: a, gammaDen: b, lnP: fixToDecimal(ln) });
      }
    }
  }
  return out;
}

function gammaCases(): GammaFixture[] {
  const shapes = [1, 2, 3, 5, 10, 30, 100, 300, 1000, 2000];
  const out: GammaFixture[] = [];
  for (const a of shapes) {
    const sd = Math.sqrt(a);
    const raw = [0.5 * a, a - 1, a, a + sd, a + 3 * sd, 2 * a, 5 * a + 7, 10 * a, 1000, 100000];
    // x = round(4·value)/4: small rational denominators keep the BigInt sums fast
    const xs = [...new Set(raw.map((v) => Math.max(1, Math.round(4 * v))))].sort((x, y) => x - y);
    for (const x4 of xs) {
      const ln = gammaUpperExactLn(a, BigInt(x4), 4n);
      out.push({ a, xNum: x4, xDen: 4, lnQ: fixToDecimal(ln) });
    }
  }
  return out;
}

/** Header fields pretty-printed, one case per line (reviewable diffs, small file). */
function toJson(header: Record<string, string>, cases: readonly object[]): string {
  const head = Object.entries(header)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`)
    .join('\n');
  return `{\n${head}\n  "cases": [\n${cases.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]\n}\n`;
}

function main(): void {
  mkdirSync(outDir, { recursive: true });
  const t0 = Date.now();
  const binom = binomialCases();
  const gamma = gammaCases();
  const header = {
    generator: 'packages/detector/scripts/gen-stats-fixtures.ts',
    method: 'exact BigInt rational tail, natural log in 320-bit fixed point (test/stats/reference.ts)',
  };
  writeFileSync(
    join(outDir, 'binomial-exact.json'),
    toJson({ ...header, quantity: 'ln P(S >= s), S ~ Binomial(n, gammaNum/gammaDen)' }, binom),
  );
  writeFileSync(
    join(outDir, 'gamma-exact.json'),
    toJson({ ...header, quantity: 'ln Q(a, xNum/xDen), upper regularized incomplete gamma' }, gamma),
  );
  const minLn = Math.min(...binom.map((c) => Number(c.lnP)));
  console.log(
    `wrote ${binom.length} binomial and ${gamma.length} gamma cases in ${Date.now() - t0} ms; ` +
      `smallest binomial ln p = ${minLn.toFixed(1)} (log10 ${(minLn / Math.LN10).toFixed(1)})`,
  );
}

main();
