// The engines' own null-distribution tails, computed the way each engine computes them
// (log-sum-exp of terms, in the same order), so they agree to ~1e-13 relative.
// Engines call glibc exp/log/lgamma; V8's differ in the last bit now and then, so
// these are reproducible to ~1e-12 relative, not bit for bit.

const logFactorials: number[] = [0];

/** log(n!) for integer n >= 0, accumulated with compensated summation and cached. */
export function logFactorial(n: number): number {
  if (n < logFactorials.length) return logFactorials[n]!;
  let acc = logFactorials[logFactorials.length - 1]!;
  let comp = 0;
  for (let k = logFactorials.length; k <= n; k++) {
    const y = Math.log(k) - comp;
    const t = acc + y;
    comp = t - acc - y;
    acc = t;
    logFactorials.push(acc);
  }
  return logFactorials[n]!;
}

function logSumExp(terms: number[]): number {
  let max = -Infinity;
  for (const t of terms) if (t > max) max = t;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

/** vLLM gumbel.py _gamma_survival_integer_shape: P[Gamma(shape, 1) >= score]. */
export function vllmGammaSurvival(score: number, shape: number): number {
  if (shape <= 0 || score <= 0) return 1;
  const logScore = Math.log(score);
  let logTerm = 0;
  let maxLog = 0;
  const terms = [0];
  for (let i = 1; i < shape; i++) {
    logTerm += logScore - Math.log(i);
    terms.push(logTerm);
    if (logTerm > maxLog) maxLog = logTerm;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - maxLog);
  const logSum = maxLog + Math.log(sum);
  return Math.min(1, Math.exp(Math.min(0, -score + logSum)));
}

/** vLLM red_green.py _binomial_survival: P[Binomial(trials, p) >= successes]. */
export function vllmBinomialSurvival(successes: number, trials: number, p: number): number {
  if (successes <= 0) return 1;
  if (successes > trials) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const terms: number[] = [];
  for (let k = successes; k <= trials; k++) {
    terms.push(logFactorial(trials) - logFactorial(k) - logFactorial(trials - k) + k * logP + (trials - k) * logQ);
  }
  return Math.min(1, Math.exp(logSumExp(terms)));
}

/** SGLang: log P[Gamma(n,1) >= S] = log-sum-exp_k (k log S - lgamma(k+1)) - S; 0 when n = 0 or S <= 0. */
export function sglangLogGammaSurvival(score: number, n: number): number {
  if (n <= 0 || score <= 0) return 0;
  const logS = Math.log(score);
  const terms: number[] = [];
  for (let k = 0; k < n; k++) terms.push(k * logS - logFactorial(k));
  return Math.min(0, logSumExp(terms) - score);
}

/** log Gamma(x) for x > 0: Stirling's series above 16 (shifted up by recurrence below), ~1e-16 relative. */
export function logGamma(x: number): number {
  if (Number.isInteger(x) && x >= 1 && x < 1e6) return logFactorial(x - 1);
  let shift = 0;
  let y = x;
  while (y < 16) {
    shift += Math.log(y);
    y += 1;
  }
  const r = 1 / y;
  const r2 = r * r;
  const series =
    r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))));
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Regularised upper incomplete gamma Q(a, x) (torch.special.gammaincc), series / Lentz continued fraction. */
export function gammaincc(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return Math.exp(lead) * h;
}

/** Complementary error function (W. J. Cody's rational approximations, ~1e-16 relative). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    const t = x * x;
    const top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return 1 - x * top / bot;
  } else if (ax < 4) {
    const top = (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725;
    const bot = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
    r = expMinusSquare(ax) * top / bot;
  } else {
    const z = 1 / (ax * ax);
    const top = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
    const bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 2.33520497626869185e-3;
    r = (expMinusSquare(ax) / ax) * (0.564189583547756287 - z * top / bot);
  }
  return x < 0 ? 2 - r : r;
}

/** exp(-x^2) without the cancellation of squaring first (Cody's split). */
function expMinusSquare(x: number): number {
  const xs = Math.trunc(x * 16) / 16;
  const del = (x - xs) * (x + xs);
  return Math.exp(-xs * xs) * Math.exp(-del);
}

/** One-sided normal tail P[N(0,1) >= z]. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}
